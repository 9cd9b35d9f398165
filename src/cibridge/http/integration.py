"""One integration's settings, wherever they were written, and the auth object they describe.

An integration (Jira, Prometheus, a chat provider) can be configured under
``integrations.<name>`` (the seed's auth style), under ``integration_configs.<group>.<name>``
(with an ``auth:`` block), or only through well-known environment variables. One rule
for every setting: an action or component input, then the configuration file, then the
environment variable; each value remembers where it came from for error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.core import redact
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport


@dataclass(frozen=True)
class AuthEnv:
    """The environment variables an integration's users already have, per auth style."""

    user: str = ""
    password: str = ""
    token: str = ""  # a bearer token (Jira Data Center PAT, Prometheus token)
    client_id: str = ""
    client_secret: str = ""

    @classmethod
    def of(cls, integration: str) -> AuthEnv:
        """The integration's rows of the variables table, one per auth style it has."""
        from cibridge.config import variables

        return cls(**{role: variables.find(integration, role) for role in ROLES})


ROLES = ("user", "password", "token", "client_id", "client_secret")


class IntegrationSettings:
    def __init__(self, name: str, group: str, config: Config, env: Mapping[str, str]) -> None:
        self.name = name
        self.group = group
        self.config = config
        self.env = env

    def _paths(self) -> list[tuple[str, ...]]:
        sections = [("integration_configs", self.group, self.name), ("integrations", self.name)]
        found = []
        for section in sections:
            if self.config.raw(*section):
                found.append(section)
                if isinstance(self.config.raw(*section, "auth"), dict):
                    found.append((*section, "auth"))
        return found

    def _from_input(self, env_name: str) -> bool:
        from cibridge.config.variables import given_inputs

        return bool(env_name and self.env.get(env_name)) and env_name in given_inputs(self.env)

    def configured(self) -> bool:
        """Whether a configuration file has a section for this integration."""
        return bool(self._paths())

    def value(self, key: str, env_name: str = "", default: Any = None) -> Any:
        if self._from_input(env_name):
            return self.env[env_name]
        for path in self._paths():
            if self.config.raw(*path, key) is not None:
                return self.config.value(*path, key)
        if env_name and self.env.get(env_name):
            return self.env[env_name]
        return default

    def secret(self, key: str, env_name: str = "") -> str | None:
        if self._from_input(env_name):
            redact.register(self.env[env_name])
            return self.env[env_name]
        for path in self._paths():
            if self.config.raw(*path, key) is not None or self.config.raw(*path, f"{key}_ref"):
                return self.config.secret(*path, key)
        value = self.env.get(env_name) if env_name else None
        redact.register(value)
        return value or None

    def where(self, key: str, env_name: str = "") -> str:
        """Where ``value(key, env_name)`` came from: an input, file:line, or the variable."""
        from cibridge.config.variables import source

        if self._from_input(env_name):
            return source(env_name, self.env)
        for path in self._paths():
            for candidate in (key, f"{key}_ref"):
                if self.config.raw(*path, candidate) is not None:
                    return self.config.where(*path, candidate)
        return source(env_name, self.env) if env_name else "environment"

    def timeout(self) -> float | None:
        """``timeout`` in seconds, None when not set (the HTTP defaults apply)."""
        from cibridge.core.durations import parse_timeout

        raw = self.value("timeout")
        return None if raw is None else parse_timeout(raw, self.where("timeout"))

    def enabled(self) -> bool:
        return self.value("enabled", default=True) is not False

    def auth(
        self, names: AuthEnv, transport: Transport, label: str, timeout: float | None = None
    ) -> Auth | None:
        """The auth the settings describe: ``type`` when given, else whichever credentials
        are present (client credentials, then a token, then user and password)."""
        from cibridge.http import auth, oauth

        kind = str(self.value("type", default="") or "").lower()
        client_id = self.value("client_id", names.client_id)
        client_secret = self.secret("client_secret", names.client_secret)
        token = self.secret("token", names.token) or self.secret("api_token", "")
        user = self.value("username", names.user) or self.value("email", "")
        password = self.secret("password", names.password) or self.secret("api_token", "")
        if kind == "none":
            return None
        if kind == "oauth2" or (not kind and client_id and client_secret):
            token_url = self.value("token_url")
            if not (client_id and client_secret and token_url):
                missing = [
                    name
                    for name, value in (
                        ("client_id", client_id),
                        ("client_secret", client_secret),
                        ("token_url", token_url),
                    )
                    if not value
                ]
                raise CibridgeError(
                    f"{label}: OAuth 2.0 needs {', '.join(missing)} ({self.where('type')})",
                    hint=f"set them under integrations.{self.name} or the {label} auth block",
                )
            return oauth.OAuth2ClientCredentials(
                str(token_url),
                str(client_id),
                client_secret,
                scopes=tuple(str(s) for s in self.value("scopes", default=()) or ()),
                audience=self.value("audience"),
                transport=transport,
                timeout=timeout,
            )
        if kind in ("bearer", "pat", "token") or (not kind and token and not user):
            if not token:
                raise CibridgeError(
                    f"{label}: auth type {kind!r} needs a token ({self.where('type')})",
                    hint=f"set {names.token or 'token_ref'}",
                )
            return auth.Bearer(token)
        if user and password:
            return auth.Basic(str(user), password)
        if kind in ("basic", "basic_auth", "api_token"):
            raise CibridgeError(
                f"{label}: basic auth needs a user and a password or API token "
                f"({self.where('type')})",
                hint=f"set {names.user} and {names.password}",
            )
        return None
