"""One provider's settings, wherever they were written.

A provider can be configured under ``integrations.<name>`` (the seed's auth style), under
``integration_configs.communication.<name>``, or only through its well-known environment
variables; later sources fill what earlier ones leave out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cibridge.config import variables
from cibridge.config.loader import Config
from cibridge.core import redact
from cibridge.core.errors import CibridgeError

SECTIONS: tuple[tuple[str, ...], ...] = (
    ("integration_configs", "communication"),
    ("integrations",),
)


class ProviderSettings:
    def __init__(self, name: str, config: Config, env: Mapping[str, str]) -> None:
        self.name = name
        self.config = config
        self.env = env

    def _paths(self) -> list[tuple[str, ...]]:
        return [
            (*section, self.name) for section in SECTIONS if self.config.raw(*section, self.name)
        ]

    def value(self, key: str, env_name: str = "", default: Any = None) -> Any:
        for path in self._paths():
            if self.config.raw(*path, key) is not None:
                return self.config.value(*path, key)
        if env_name and self.env.get(env_name):
            return self.env[env_name]
        return default

    def secret(self, key: str, env_name: str = "") -> str | None:
        for path in self._paths():
            if self.config.raw(*path, key) is not None or self.config.raw(*path, f"{key}_ref"):
                return self.config.secret(*path, key)
        value = self.env.get(env_name) if env_name else None
        redact.register(value)
        return value or None

    def webhook_url(self, label: str, env_name: str, hint: str) -> str:
        """The provider's webhook URL, or an error that says where to set it."""
        from cibridge.core.urls import ensure_url

        url = self.secret("webhook_url", env_name)
        if not url:
            raise CibridgeError(f"{label}: no webhook URL is configured", hint=hint)
        redact.register_url(url, whole_url_secret=True)
        return ensure_url(url, f"{label} webhook_url ({self.where('webhook_url')})")

    def where(self, key: str) -> str:
        for path in self._paths():
            for candidate in (key, f"{key}_ref"):
                if self.config.raw(*path, candidate) is not None:
                    return self.config.where(*path, candidate)
        return "environment"

    def enabled(self) -> bool:
        return self.value("enabled", default=True) is not False

    def channel(self, requested: str | None) -> str | None:
        """``--channel`` as a key of the ``channels`` mapping, else a literal channel."""
        channels = self.value("channels") or {}
        if requested:
            return str(channels.get(requested, requested))
        configured = self.value("channel", variables.find(self.name, "channel"))
        return str(configured) if configured else None
