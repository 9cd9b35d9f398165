"""Where Prometheus is and how to reach it, from the config and the environment.

``integration_configs.monitoring.prometheus`` (an ``auth:`` block), ``integrations.prometheus``
(the seed's auth style) or ``PROMETHEUS_URL`` with ``PROMETHEUS_TOKEN`` /
``PROMETHEUS_USER`` + ``PROMETHEUS_PASSWORD``. ``headers`` adds any header (values may be
``${VAR}``); ``tenant`` is the multi-tenant header (``X-Scope-OrgID`` for Mimir/Cortex/Loki,
``headers: {THANOS-TENANT: ...}`` for Thanos); ``ca_bundle`` trusts a private CA for this
server only; ``timeout`` bounds each query (sent to Prometheus as well).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError
from cibridge.http.integration import AuthEnv, IntegrationSettings

if TYPE_CHECKING:
    from cibridge.clients.prometheus import PrometheusClient
    from cibridge.config.loader import Config
    from cibridge.http.transport import Transport

AUTH_ENV = AuthEnv.of("prometheus")
TENANT_HEADER = "X-Scope-OrgID"


def settings(config: Config, env: Mapping[str, str]) -> IntegrationSettings:
    return IntegrationSettings("prometheus", "monitoring", config, env)


def url(config: Config, env: Mapping[str, str]) -> str:
    return located(config, env)[0]


def located(config: Config, env: Mapping[str, str]) -> tuple[str, str]:
    """The Prometheus URL, and where it was set (an input, file:line or a variable)."""
    from cibridge.core.urls import ensure_url

    found = settings(config, env)
    if not found.enabled():
        raise CibridgeError(
            f"Prometheus is disabled ({found.where('enabled')}), and the gate has metric checks",
            hint="set enabled: true, or remove the metric checks",
        )
    value = found.value("url", "PROMETHEUS_URL")
    where = found.where("url", "PROMETHEUS_URL")
    if not value:
        value, where = found.value("base_url"), found.where("base_url")
    if not value:
        raise CibridgeError(
            "Prometheus: no URL is configured, and the gate has metric checks",
            hint="set PROMETHEUS_URL, or url under integration_configs.monitoring.prometheus",
        )
    return ensure_url(str(value), f"Prometheus url ({where})").rstrip("/"), where


def headers(config: Config, env: Mapping[str, str]) -> dict[str, str]:
    from cibridge.config.loader import resolve_headers

    found = settings(config, env)
    sent = resolve_headers(found.value("headers"), found.where("headers"), env)
    tenant = found.value("tenant", "PROMETHEUS_TENANT")
    if tenant:
        sent.setdefault(TENANT_HEADER, str(tenant))
    return sent


def client(
    config: Config, env: Mapping[str, str], transport: Transport
) -> tuple[PrometheusClient, Transport]:
    """The client, and the transport it uses (its own when the server has its own CA)."""
    from cibridge.clients.prometheus import PrometheusClient
    from cibridge.core.durations import parse_timeout
    from cibridge.http.transport import Transport

    found = settings(config, env)
    base, where = located(config, env)
    ca_bundle = found.value("ca_bundle", "PROMETHEUS_CA_BUNDLE")
    if ca_bundle:
        from pathlib import Path

        if not Path(str(ca_bundle)).exists():
            raise CibridgeError(
                f"Prometheus ca_bundle {ca_bundle} ({found.where('ca_bundle')}) does not exist",
                hint="point it at a PEM file with the CA that signed Prometheus's certificate",
            )
        transport = Transport(replace(transport.settings, ca_bundle=str(ca_bundle)))
    raw_timeout = found.value("timeout", "PROMETHEUS_TIMEOUT")
    timeout = None
    if raw_timeout not in (None, ""):
        where = f"Prometheus timeout ({found.where('timeout', 'PROMETHEUS_TIMEOUT')})"
        timeout = parse_timeout(raw_timeout, where)
    auth = found.auth(AUTH_ENV, transport, "Prometheus")
    prometheus = PrometheusClient(
        transport, base, auth=auth, headers=headers(config, env), timeout=timeout, url_from=where
    )
    return prometheus, transport
