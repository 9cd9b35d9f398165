"""One provider's settings, wherever they were written.

A provider can be configured under ``integrations.<name>`` (the seed's auth style), under
``integration_configs.communication.<name>``, or only through its well-known environment
variables; later sources fill what earlier ones leave out.
"""

from __future__ import annotations

from collections.abc import Mapping

from cibridge.config import variables
from cibridge.config.loader import Config
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.http.integration import IntegrationSettings

SECTIONS: tuple[tuple[str, ...], ...] = (
    ("integration_configs", "communication"),
    ("integrations",),
)


class ProviderSettings(IntegrationSettings):
    """An integration's settings (value, secret, where, enabled), found in the provider's
    own sections only: a chat provider has no ``auth:`` block."""

    def __init__(self, name: str, config: Config, env: Mapping[str, str]) -> None:
        super().__init__(name, "communication", config, env)

    def _paths(self) -> list[tuple[str, ...]]:
        return [
            (*section, self.name) for section in SECTIONS if self.config.raw(*section, self.name)
        ]

    def webhook_url(self, label: str, env_name: str, hint: str) -> str:
        """The provider's webhook URL, or an error that says where to set it."""
        url = self.given_webhook_url(label, env_name)
        if not url:
            raise CibridgeError(f"{label}: no webhook URL is configured", hint=hint)
        return url

    def given_webhook_url(self, label: str, env_name: str) -> str | None:
        """The webhook URL when one is set (an error when it is no http(s) URL), else None."""
        from cibridge.core.urls import ensure_url

        url = self.secret("webhook_url", env_name)
        if not url:
            return None
        redact.register_url(url, whole_url_secret=True)
        return ensure_url(url, f"{label} webhook_url ({self.where('webhook_url', env_name)})")

    def api_url(self, label: str, env_name: str, default: str) -> str:
        """The provider's API base URL (``api_url``), without a trailing slash."""
        from cibridge.core.urls import ensure_url

        url = str(self.value("api_url", env_name, default)).rstrip("/")
        return ensure_url(url, f"{label} api_url ({self.where('api_url', env_name)})")

    def channel(self, requested: str | None) -> str | None:
        """``--channel`` as a key of the ``channels`` mapping, else a literal channel."""
        channels = self.value("channels") or {}
        if requested:
            return str(channels.get(requested, requested))
        configured = self.value("channel", variables.find(self.name, "channel"))
        return str(configured) if configured else None
