"""Loads, validates and merges ``.cibridge.yml`` files; resolves values when they are used.

Values are resolved lazily: ``${VAR}``, ``*_ref`` secrets and ``enc:`` tokens are looked up
only when a command reads them, so a missing secret is an error only for the integration
that needs it. Every value remembers the file and line it came from for error messages.
The environment is the mapping the entry point read once (``Config.env``); nothing here
reads ``os.environ``, so the demo and tests decide exactly what a run can see.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.config import encryption
from cibridge.config.secrets import NotSet, env_name, lookup_secret
from cibridge.core import redact
from cibridge.core.credentials import is_credential_name
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.schema import Path_

DEFAULT_NAMES = (".cibridge.yml", ".cibridge.yaml")
CONFIG_ENV = "CIBRIDGE_CONFIG"
# This schema's keys that hold a secret, by exact name: the credential words would also
# catch token_url, client_auth and issue_key, whose values are not secrets. Header names
# are the exception (core.credentials), since a config cannot list every vendor's.
SECRET_KEYS = frozenset(
    {
        "password",
        "client_secret",
        "token",
        "api_token",
        "bot_token",
        "webhook_url",
        "secret",
        "verification_token",
        "api_key",
        "app_key",
    }
)
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_USERINFO = re.compile(r"(?i)(?<=[a-z0-9+.-]://)[^/?#@\s]+(?=@)")
_QUERY_PAIR = re.compile(r"(?<=[?&;])([^=&#\s]+)=([^&#\s]+)")


@dataclass
class Findings:
    errors: list[CibridgeError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Path_, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def raw(self, *path: str | int) -> Any:
        node: Any = self.data
        for part in path:
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if in_dict or in_list:
                node = node[part]
            else:
                return None
        return node

    def where(self, *path: str | int) -> str:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.files[0] if self.files else "(no config file)"

    def value(self, *path: str | int) -> Any:
        """The value at ``path`` with ``${VAR}`` and ``enc:`` resolved (None when absent)."""
        raw = self.raw(*path)
        if not isinstance(raw, str):
            return raw
        resolved = resolve_string(raw, self.where(*path), self.env, secret=is_secret_path(path))
        for part in credentials_in(resolved):
            redact.register(part)
        return resolved

    def secret(self, *path: str | int) -> str | None:
        """Secret ``name`` at ``path``: the plain value, else the one ``name_ref`` names."""
        *parent, name = path
        if self.raw(*path) is not None:
            resolved = self.value(*path)
            if resolved is None:
                return None
            # Asked for as a secret, so a secret, whatever its key is called.
            redact.register(str(resolved))
            return str(resolved)
        ref = self.raw(*parent, f"{name}_ref")
        if ref is None:
            return None
        where = self.where(*parent, f"{name}_ref")
        return lookup_secret(str(ref), where, self.env, required=True)

    def show(self) -> dict[str, Any]:
        """The merged configuration with values resolved and every credential masked."""
        shown: dict[str, Any] = _show(self, (), self.data)
        return shown

    def check(self) -> Findings:
        """Resolve every value that can be resolved here: what can never work (an ``enc:``
        value no key decrypts, a ``*_ref`` outside the secrets folder) is an error; what
        only this machine lacks (an unset variable or secret, no ``CIBRIDGE_KEY``) a warning."""
        findings = Findings()
        for path, leaf in _leaves(self.data, ()):
            if isinstance(leaf, str):
                _check_leaf(self, path, leaf, findings, quiet=self._disabled(path))
        return findings

    def _disabled(self, path: Path_) -> bool:
        """Whether ``path`` lies inside a block with ``enabled: false``: nothing reads its
        secrets, so their absence is no warning (a value that can never work still is)."""
        node: Any = self.data
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and node.get("enabled") is False:
                return True
        return False


def _leaves(node: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path, node


def _check_leaf(
    config: Config, path: Path_, leaf: str, findings: Findings, quiet: bool = False
) -> None:
    where = config.where(*path)
    try:
        if str(path[-1]).endswith("_ref"):
            lookup_secret(leaf, where, config.env, required=True)
        else:
            resolve_string(leaf, where, config.env, secret=is_secret_path(path))
    except (NotSet, encryption.MissingKey) as missing:
        if quiet:
            return
        findings.warnings.append(
            f"{missing.message} (an error only where it is used)\n  hint: {missing.hint}"
        )
    except CibridgeError as error:
        findings.errors.append(error)


def is_secret_path(path: Path_) -> bool:
    """A secret key (``password``), or a credential header (``headers.Authorization``)."""
    if not path:
        return False
    in_headers = len(path) > 1 and path[-2] == "headers"
    return str(path[-1]) in SECRET_KEYS or (in_headers and is_credential_name(str(path[-1])))


def credentials_in(text: str) -> list[str]:
    """Credentials inside URLs in ``text``: user info and credential query values."""
    found = []
    for userinfo in _USERINFO.findall(text):
        found += [userinfo, userinfo.partition(":")[2]]
    found += [value for name, value in _QUERY_PAIR.findall(text) if is_credential_name(name)]
    return [part for part in found if part]


def mask_credentials(text: str) -> str:
    def query(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={redact.MASK}" if is_credential_name(name) else match.group(0)

    return _QUERY_PAIR.sub(query, _USERINFO.sub(redact.MASK, text))


def _show(config: Config, path: Path_, node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _show(config, (*path, key), value) for key, value in node.items()}
    if isinstance(node, list):
        return [_show(config, (*path, index), value) for index, value in enumerate(node)]
    if not isinstance(node, str):
        return node
    if path and str(path[-1]).endswith("_ref"):
        return _show_ref(config, path, node)
    # An enc: value is secret wherever it is written.
    secret = is_secret_path(path) or node.startswith(encryption.PREFIX)
    try:
        resolved = resolve_string(node, config.where(*path), config.env, secret=secret)
    except CibridgeError as error:
        return f"<unresolved: {error.message.split(': ', 1)[-1]}>"
    if secret:
        return redact.MASK if resolved else resolved
    return mask_credentials(resolved)


def _show_ref(config: Config, path: Path_, name: str) -> str:
    try:
        found = lookup_secret(name, config.where(*path), config.env, required=False)
    except CibridgeError as error:
        return f"{name} (ERROR: {error.message.split(': ', 1)[-1]})"
    return f"{name} ({'set' if found is not None else f'MISSING: set {env_name(name)}'})"


def resolve_string(raw: str, where: str, env: Mapping[str, str], *, secret: bool = False) -> str:
    """``raw`` with ``${VAR}`` from ``env`` substituted and an ``enc:`` result decrypted;
    the result is registered with the redactor when it is a ``secret``."""

    value = VARIABLE.sub(lambda match: variable_value(match, where, env), raw)
    if value.startswith(encryption.PREFIX):
        value = encryption.decrypt(value, where, env)
    if secret:
        redact.register(value)
    return value


def variable_value(match: re.Match[str], where: str, env: Mapping[str, str]) -> str:
    """The value of the ``${VAR}`` or ``${VAR:-default}`` that ``match`` (of VARIABLE) found;
    registered with the redactor when the variable's name says it is a credential."""
    name, default = match.group(1), match.group(2)
    value = env.get(name)
    if not value:
        if default is not None:
            return default
        raise NotSet(
            f"{where}: ${{{name}}} is not set",
            hint=f"export {name} in the job's environment (a CI secret or variable), "
            f"or write ${{{name}:-default}}",
        )
    if is_credential_name(name):
        redact.register(value)
    return value


def resolve_headers(raw: object, where: str, env: Mapping[str, str]) -> dict[str, str]:
    """Configured ``headers`` with each value resolved as any value is (``${VAR}``, ``enc:``),
    and ``Name_ref: secret-name`` read as the header ``Name`` holding that secret. A value
    that came from a variable, a secret or an ``enc:`` token, or that a credential header
    (Authorization, X-Api-Key) carries, is registered with the redactor: headers are where
    tokens travel, whatever the header is called."""
    sent: dict[str, str] = {}
    for key, value in raw.items() if isinstance(raw, dict) else ():
        name, text = str(key), str(value)
        if name.endswith("_ref"):
            found = lookup_secret(text, where, env, required=True)
            sent[name.removesuffix("_ref")] = found or ""
            continue
        secret = is_credential_name(name) or "${" in text or text.startswith(encryption.PREFIX)
        sent[name] = resolve_string(text, where, env, secret=secret)
    return sent


def discover(explicit: list[str], cwd: Path, env: Mapping[str, str]) -> list[Path]:
    # --config, else CIBRIDGE_CONFIG (what the actions' and components' `config` input sets).
    named = explicit or [
        p for p in re.split(rf"[,{re.escape(os.pathsep)}]", env.get(CONFIG_ENV, "")) if p
    ]
    if named:
        # The default name given explicitly (the action's documented ``config: .cibridge.yml
        # # optional``) is optional like the default; any other missing path is an error.
        return [
            Path(p)
            for p in named
            if Path(p).name not in DEFAULT_NAMES
            or Path(p).parent != Path(".")
            or (cwd / p).is_file()
        ]
    for name in DEFAULT_NAMES:
        if (cwd / name).is_file():
            return [cwd / name]
    return []


def load(paths: list[Path], env: Mapping[str, str]) -> Config:
    """The files merged in order (later wins); an empty file is a valid empty config.
    The parser and validator are imported only when there is a file to read."""
    config = Config(env=env)
    if paths:
        from cibridge.config.schema import load_file
    for path in paths:
        loaded = load_file(path)
        config.files.append(str(path))
        if loaded is not None:
            data, lines = loaded
            config.lines.update(lines)
            _merge(config.data, data)
    return config


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
