"""Where the gate's deploy-window peers are: Alertmanager (``--silence``) and Pushgateway
(``--push-metrics``).

Each reads like Prometheus does: ``integration_configs.monitoring.<name>`` (with an
``auth:`` block), ``integrations.<name>``, or the environment: ``ALERTMANAGER_URL`` /
``PUSHGATEWAY_URL``, with ``<NAME>_TOKEN`` (bearer) or ``<NAME>_USER`` + ``<NAME>_PASSWORD``
(basic), and ``headers`` for anything else (a tenant header, an API key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.http.integration import AuthEnv, IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

OPTIONS = {"alertmanager": "--silence", "pushgateway": "--push-metrics"}


@dataclass
class Endpoint:
    url: str  # without a trailing slash
    auth: Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)


def endpoint(name: str, config: Config, env: Mapping[str, str], transport: Transport) -> Endpoint:
    """The URL, auth and headers of ``alertmanager`` or ``pushgateway``; a usage error (exit
    2) saying where to set it when there is no URL."""
    from cibridge.config.loader import resolve_headers
    from cibridge.core.urls import ensure_url

    label = name.capitalize()
    variable = variables.name(name, "url")
    found = IntegrationSettings(name, "monitoring", config, env)
    url, where = found.value("url", variable), found.where("url", variable)
    if not url:
        url, where = found.value("base_url"), found.where("base_url")
    if not url:
        raise CibridgeError(
            f"{OPTIONS[name]}: no {label} URL is configured",
            hint=f"set {variable}, or url under integration_configs.monitoring.{name}",
        )
    base = ensure_url(str(url), f"{label} url ({where})").rstrip("/")
    names = AuthEnv.of(name)
    headers = resolve_headers(found.value("headers"), found.where("headers"), env)
    return Endpoint(base, found.auth(names, transport, label), headers)
