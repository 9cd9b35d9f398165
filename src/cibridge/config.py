"""Loads, validates and merges ``.cibridge.yml`` files; resolves values when they are used.

Values are resolved lazily: ``${VAR}``, ``*_ref`` secrets and ``enc:`` tokens are looked up
only when a command reads them, so a missing secret is an error only for the integration
that needs it. Every value remembers the file and line it came from for error messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cibridge import encryption, redact
from cibridge.errors import CibridgeError

DEFAULT_NAMES = (".cibridge.yml", ".cibridge.yaml")
CONFIG_ENV = "CIBRIDGE_CONFIG"
SECRETS_DIR_ENV = "CIBRIDGE_SECRETS_DIR"
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
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Path_ = tuple[str | int, ...]


def yaml_loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader where PyYAML was built with it (several times faster)."""
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Path_, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

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
        if isinstance(raw, str):
            is_secret = bool(path) and str(path[-1]) in SECRET_KEYS
            return resolve_string(raw, self.where(*path), secret=is_secret)
        return raw

    def secret(self, *path: str | int) -> str | None:
        """Secret ``name`` at ``path``: the plain value, else the one ``name_ref`` names."""
        *parent, name = path
        if self.raw(*path) is not None:
            resolved = self.value(*path)
            return None if resolved is None else str(resolved)
        ref = self.raw(*parent, f"{name}_ref")
        if ref is None:
            return None
        return lookup_secret(str(ref), self.where(*parent, f"{name}_ref"), required=True)

    def show(self) -> dict[str, Any]:
        """The merged configuration with values resolved and every secret redacted."""
        shown: dict[str, Any] = _show(self, (), self.data)
        return shown


def _show(config: Config, path: Path_, node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _show(config, (*path, key), value) for key, value in node.items()}
    if isinstance(node, list):
        return [_show(config, (*path, index), value) for index, value in enumerate(node)]
    key = str(path[-1]) if path else ""
    if key.endswith("_ref"):
        found = lookup_secret(str(node), config.where(*path), required=False)
        state = "set" if found is not None else f"MISSING: set {env_name(str(node))}"
        return f"{node} ({state})"
    if isinstance(node, str):
        try:
            resolved = resolve_string(node, config.where(*path), secret=key in SECRET_KEYS)
        except CibridgeError as error:
            return f"<unresolved: {error.message.split(': ', 1)[-1]}>"
        return redact.MASK if key in SECRET_KEYS and resolved else resolved
    return node


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_seconds(value: object, where: str) -> float:
    """``30``, ``"30s"``, ``"5m"``, ``"500ms"`` or ``"1h"`` as seconds."""
    match = _DURATION.match(str(value))
    if match is None or isinstance(value, bool):
        raise CibridgeError(
            f"{where}: {value!r} is not a duration",
            hint="write a number of seconds, or 30s, 5m, 1h",
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


def env_name(secret_name: str) -> str:
    return secret_name.upper().replace("-", "_").replace(".", "_")


def lookup_secret(name: str, where: str, *, required: bool) -> str | None:
    """A secret named ``name`` from the environment or ``$CIBRIDGE_SECRETS_DIR/name``."""
    variable = env_name(name)
    value = os.environ.get(variable)
    if not value:
        directory = os.environ.get(SECRETS_DIR_ENV)
        candidate = Path(directory, name) if directory else None
        if candidate is not None and candidate.is_file():
            value = candidate.read_text().rstrip("\r\n")
    if value and value.startswith(encryption.PREFIX):
        value = encryption.decrypt(value, where)
    if not value:
        if not required:
            return None
        place = f" or the file ${SECRETS_DIR_ENV}/{name}"
        raise CibridgeError(
            f"{where}: secret {name!r} is not set",
            hint=f"set the environment variable {variable}{place} (from your CI's secret store)",
        )
    redact.register(value)
    return value


def resolve_string(raw: str, where: str, *, secret: bool = False) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            raise CibridgeError(
                f"{where}: ${{{name}}} is not set",
                hint=f"export {name} in the job's environment (a CI secret or variable), "
                f"or write ${{{name}:-default}}",
            )
        return value

    value = _VAR.sub(substitute, raw)
    if value.startswith(encryption.PREFIX):
        value = encryption.decrypt(value, where)
    if secret:
        redact.register(value)
    return value


def discover(explicit: list[str], cwd: Path) -> list[Path]:
    if explicit:
        return [Path(p) for p in explicit]
    from_env = os.environ.get(CONFIG_ENV, "")
    if from_env:
        return [Path(p) for p in re.split(rf"[,{re.escape(os.pathsep)}]", from_env) if p]
    for name in DEFAULT_NAMES:
        if (cwd / name).is_file():
            return [cwd / name]
    return []


def load(paths: list[Path]) -> Config:
    config = Config()
    for path in paths:
        text = _read(path)
        try:
            node = yaml.compose(text, Loader=yaml_loader())
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or str(error)
            raise CibridgeError(
                f"{path}{line}: not valid YAML: {problem}",
                hint="check indentation and quoting on that line (values with ': ' or '#' "
                "need quotes)",
            ) from None
        if node is None:
            continue
        from cibridge.config_schema import validate

        validate(node, str(path))
        data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
        config.files.append(str(path))
        for where_path, line in _lines(node, (), str(path)):
            config.lines[where_path] = line
        _merge(config.data, data)
    return config


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CibridgeError(
            f"configuration file {path} does not exist",
            hint="pass --config PATH, set CIBRIDGE_CONFIG, or create .cibridge.yml",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CibridgeError(f"cannot read configuration file {path}: {error}") from None


def _lines(node: yaml.Node, path: Path_, file: str) -> Iterator[tuple[Path_, str]]:
    yield path, f"{file}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _lines(value, (*path, str(key.value)), file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(item, (*path, index), file)


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
