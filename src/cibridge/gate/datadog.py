"""Datadog as the gate's second metric source: where it is, and a check's queries answered
in the shape the gate evaluates (one value per group and moment).

Settings: ``integration_configs.monitoring.datadog`` (the seed's ``api_key_ref`` and
``app_key_ref``; ``site``; ``url``, a full API base for proxies and tests; ``timeout``;
``headers``) or the variables Datadog's own tools read (``DD_API_KEY``, ``DD_APP_KEY``,
``DD_SITE``), and ``DATADOG_API_URL``.

A check's value at a moment ``t`` is its buckets inside the observation window
``[t - interval, t)`` combined by ``aggregation`` (avg by default). Only whole buckets count:
the one still filling at ``t`` (Datadog's newest, almost always partial: Flagger #1762) and
one cut by the window's start are left out, so a counter never seems to drop because its
last bucket has only part of its points yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cibridge.clients.datadog import SITES, Buckets
from cibridge.clients.prometheus import Answer, Series
from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.gate import promql
from cibridge.gate.settings import default_bucket as default_bucket
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient
    from cibridge.config.loader import Config
    from cibridge.gate.settings import MetricCheck
    from cibridge.http.transport import Transport

API_KEY, APP_KEY, SITE, URL = (
    variables.name("datadog", role) for role in ("api_key", "app_key", "site", "url")
)
COMBINE: dict[str, Callable[[Sequence[float]], float]] = {
    "avg": lambda values: sum(values) / len(values),
    "sum": sum,
    "min": min,
    "max": max,
    "last": lambda values: values[-1],
}
# What a placeholder may put in a Datadog query: the characters of a tag or metric name
# (docs.datadoghq.com/getting_started/tagging), so a value cannot close a scope "{...}",
# add a tag (",") or a second query.
_TAG_VALUE = re.compile(r"[A-Za-z0-9_\-:./]+")


def settings(config: Config, env: Mapping[str, str]) -> IntegrationSettings:
    return IntegrationSettings("datadog", "monitoring", config, env)


def base_url(config: Config, env: Mapping[str, str]) -> tuple[str, str]:
    """The API base and where it was set: ``url``, else the ``site``'s API host."""
    from cibridge.clients.datadog import api_base
    from cibridge.core.urls import ensure_url

    found = settings(config, env)
    url = found.value("url", URL)
    if url:
        where = found.where("url", URL)
        return ensure_url(str(url), f"Datadog url ({where})").rstrip("/"), where
    site = str(found.value("site", SITE, "datadoghq.com")).strip().lower()
    where = found.where("site", SITE) if found.value("site", SITE) else "the default site"
    if site not in SITES:
        names = ", ".join(sorted(set(SITES.values())))
        raise CibridgeError(
            f"Datadog site {site[:60]!r} ({where}) is not one of Datadog's sites",
            hint=f"use one of {names} (the host after app. in your Datadog URL), or url "
            "for a proxy",
        )
    return api_base(site), where


def client(config: Config, env: Mapping[str, str], transport: Transport) -> DatadogClient:
    """The client; ``app_key`` is needed for queries and monitors, not for DORA events."""
    from cibridge.clients.datadog import DatadogClient, DatadogKeys
    from cibridge.config.loader import resolve_headers

    found = settings(config, env)
    if not found.enabled():
        raise CibridgeError(
            f"Datadog is disabled ({found.where('enabled')}), and the gate needs it",
            hint="set enabled: true, or remove the Datadog checks and --dora",
        )
    api_key = found.secret("api_key", API_KEY)
    if not api_key:
        raise CibridgeError(
            "Datadog: no API key is configured",
            hint=f"set {API_KEY} from a secret, or api_key_ref under "
            "integration_configs.monitoring.datadog",
        )
    app_key = found.secret("app_key", APP_KEY) or ""
    base, where = base_url(config, env)
    headers = resolve_headers(found.value("headers"), found.where("headers"), env)
    keys = DatadogKeys(api_key, app_key)
    return DatadogClient(
        transport, base, keys, headers=headers, timeout=found.timeout(), url_from=where
    )


def require_app_key(
    config: Config, env: Mapping[str, str], what: str = "queries", scopes: str = "timeseries_query"
) -> None:
    found = settings(config, env)
    if not found.secret("app_key", APP_KEY):
        raise CibridgeError(
            f"Datadog: {what} need an application key beside the API key",
            hint=f"set {APP_KEY} from a secret, or app_key_ref under "
            f"integration_configs.monitoring.datadog (scope {scopes})",
        )


def render_query(template: str, values: Mapping[str, Any], where: str) -> str:
    """A Datadog query with each placeholder's value checked to be a tag or name."""

    def value_of(match: re.Match[str]) -> str:
        value = promql.scalar(match.group(1), values, where)
        if not _TAG_VALUE.fullmatch(value):
            raise CibridgeError(
                f"{where}: the value of {{{{ {match.group(1)} }}}} is not a Datadog tag "
                f"value ({value[:40]!r})",
                hint="Datadog tags hold letters, digits and _ - : . / only",
            )
        return value

    promql.check_placeholders(template, where)
    return promql.PLACEHOLDER.sub(value_of, template)


class Window:
    """A check's Datadog queries, answered like Prometheus answers (``instant``/``range``),
    so the gate evaluates both sources the same way."""

    def __init__(self, datadog: DatadogClient, check: MetricCheck) -> None:
        self.datadog = datadog
        self.window = check.interval
        self.bucket = check.bucket or default_bucket(check.interval)
        self.combine = COMBINE[check.aggregation]

    def instant(self, query: str, at: float) -> Answer:
        return self.range(query, at, at, self.window)

    def range(self, query: str, start: float, end: float, step: float) -> Answer:
        answer = self.datadog.timeseries(query, start - self.window, end, self.bucket)
        ticks = [start + k * step for k in range(round((end - start) / step) + 1)]
        series = []
        for labels, row in answer.groups:
            points = []
            for tick in ticks:
                value = self._at(answer, row, tick)
                if value is not None:
                    points.append((tick, value))
            if points:
                series.append(Series(labels, points))
        return Answer(series)

    def samples(self, query: str, ticks: Sequence[float]) -> tuple[list[list[float]], list[str]]:
        """For a canary comparison: each tick's whole buckets, every group pooled (an empty
        list: no data), from one query over all the windows."""
        answer = self.datadog.timeseries(query, ticks[0] - self.window, ticks[-1], self.bucket)
        windows = []
        for tick in ticks:
            begin = tick - self.window
            windows.append(
                [
                    value
                    for _labels, row in answer.groups
                    for at, value in row
                    if value is not None
                    and at >= begin - 1e-6
                    and at + answer.bucket <= tick + 1e-6
                ]
            )
        return windows, []

    def _at(
        self, answer: Buckets, row: list[tuple[float, float | None]], tick: float
    ) -> float | None:
        begin = tick - self.window
        whole = [
            value
            for at, value in row
            if value is not None and at >= begin - 1e-6 and at + answer.bucket <= tick + 1e-6
        ]
        return self.combine(whole) if whole else None
