"""``gate rules --apply`` through a Mimir/Cortex-style ruler instead of a rules folder.

Where the ruler is: ``integration_configs.monitoring.ruler`` (``url``, ``api: mimir|cortex``,
``namespace``, ``tenant``, ``headers``, an ``auth:`` block) or the environment:
``RULER_URL``, ``RULER_API``, ``RULER_NAMESPACE``, ``RULER_TENANT`` (sent as ``X-Scope-OrgID``),
``RULER_TOKEN`` or ``RULER_USER`` + ``RULER_PASSWORD``.

Ownership: cibridge writes into a namespace of its own (``cibridge`` unless set) and, in it,
only the group named after the service (``cibridge-gate-<service>``, the name the rules
file gives it). Groups of other services, and anything else in the namespace, are never
touched: each service's run manages its own group. When a service's checks no longer
make any rule, its group is deleted (Mimir refuses a group without rules anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.core.durations import parse_duration
from cibridge.core.errors import CibridgeError
from cibridge.http.integration import AuthEnv, IntegrationSettings

if TYPE_CHECKING:
    from cibridge.clients.ruler import RulerClient
    from cibridge.config.loader import Config
    from cibridge.http.transport import Transport

TENANT_HEADER = "X-Scope-OrgID"
DEFAULT_NAMESPACE = "cibridge"
_DURATIONS = ("interval", "for", "keep_firing_for", "query_offset", "evaluation_delay")


def settings(config: Config, env: Mapping[str, str]) -> IntegrationSettings:
    return IntegrationSettings("ruler", "monitoring", config, env)


def configured(config: Config, env: Mapping[str, str]) -> bool:
    """Whether a ruler URL is set (then ``--apply`` without ``--rules-dir`` uses it)."""
    return bool(settings(config, env).value("url", variables.name("ruler", "url")))


@dataclass
class Ruler:
    client: RulerClient
    namespace: str
    where: str  # where the URL was set, for messages


def ruler(config: Config, env: Mapping[str, str], transport: Transport) -> Ruler:
    from cibridge.clients.ruler import PREFIXES, RulerClient
    from cibridge.config.loader import resolve_headers
    from cibridge.core.urls import ensure_url

    found = settings(config, env)
    url_variable = variables.name("ruler", "url")
    base = ensure_url(
        str(found.value("url", url_variable)), f"ruler url ({found.where('url', url_variable)})"
    )
    api_variable = variables.name("ruler", "api")
    api = str(found.value("api", api_variable) or "mimir")
    if api not in PREFIXES:
        where = found.where("api", api_variable)
        raise CibridgeError(
            f"ruler api: {api!r} ({where}) is not one of {', '.join(PREFIXES)}",
            hint="mimir: <url>/prometheus/config/v1/rules; cortex: <url>/api/v1/rules",
        )
    namespace_variable = variables.name("ruler", "namespace")
    namespace = str(found.value("namespace", namespace_variable) or DEFAULT_NAMESPACE)
    headers = resolve_headers(found.value("headers"), found.where("headers"), env)
    tenant = found.value("tenant", variables.name("ruler", "tenant"))
    if tenant:
        headers.setdefault(TENANT_HEADER, str(tenant))
    auth = found.auth(AuthEnv.of("ruler"), transport, "ruler")
    client = RulerClient(transport, base, api=api, auth=auth, headers=headers)
    return Ruler(client, namespace, found.where("url", url_variable))


def _normal(group: Mapping[str, Any]) -> Any:
    """A group as compared: durations as seconds, empty fields dropped, so the ruler's
    re-serialised copy (``5m`` for ``300s``, no empty ``labels``) equals what was sent."""

    def clean(value: Any, key: str = "") -> Any:
        if key in _DURATIONS and value is not None:
            return parse_duration(value)
        if isinstance(value, Mapping):
            return {k: clean(v, str(k)) for k, v in value.items() if v not in (None, "", {}, [])}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return clean(group)


@dataclass(frozen=True)
class Step:
    group: str
    action: str  # added, changed, removed, unchanged
    body: dict[str, Any] | None = None  # what to post (added, changed)


def plan(document: Mapping[str, Any], current: Mapping[str, Mapping[str, Any]]) -> list[Step]:
    """What installing ``document``'s groups changes against the ruler's ``current``."""
    steps = []
    for group in document["groups"]:
        name = str(group["name"])
        there = current.get(name)
        if not group["rules"]:
            if there is not None:
                steps.append(Step(name, "removed"))
            continue
        if there is None:
            steps.append(Step(name, "added", dict(group)))
        elif _normal(there) != _normal(group):
            steps.append(Step(name, "changed", dict(group)))
        else:
            steps.append(Step(name, "unchanged"))
    return steps


def apply(target: Ruler, steps: list[Step]) -> list[str]:
    """Carry out ``steps``; the failures, one line each naming the group (one failing group
    never stops the others)."""
    failures = []
    for step in steps:
        try:
            if step.body is not None:
                target.client.set_group(target.namespace, step.body)
            elif step.action == "removed":
                target.client.delete_group(target.namespace, step.group)
        except CibridgeError as error:
            failures.append(error.message + (f" ({error.hint})" if error.hint else ""))
    return failures
