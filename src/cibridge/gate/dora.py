"""The gate's run as Datadog DORA events: the deployment, and its failure when the gate
decided a rollback (``POST /api/v2/dora/deployment`` and ``/dora/failure``; the API key
alone is enough).

Ids are derived from what was deployed (repository, commit, environment, service), never
from the run: a re-run of the job sends the same deployment, not a second one. Sending is
reported, never fatal: the verdict stands whether or not Datadog took the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cibridge.core import isotime
from cibridge.core.errors import EXIT_FAILURE, CibridgeError

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient
    from cibridge.context.model import Context
    from cibridge.gate.results import GateResult


def identity(kind: str, context: Context, service: str, deployed_at: float) -> str:
    """16–128 characters of ``[A-Za-z0-9_.:-]``, as Datadog requires of an id."""
    what = context.sha or f"{deployed_at:.0f}"
    parts = (kind, context.repository, what, context.environment, service)
    return f"cibridge-{kind}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:40]}"


def _git(context: Context) -> dict[str, Any]:
    if context.sha and context.repository_url:
        return {"git": {"commit_sha": context.sha, "repository_url": context.repository_url}}
    return {}


def _common(context: Context, version: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if context.environment:
        found["env"] = context.environment
    if version:
        found["version"] = version
    return {**found, **_git(context)}


def deployment(result: GateResult, context: Context, service: str, version: str) -> dict[str, Any]:
    started = isotime.parse(context.started_at) if context.started_at else None
    begun = started.timestamp() if started else result.deployed_at
    attributes = {
        "id": identity("deployment", context, service, result.deployed_at),
        "service": service,
        "started_at": int(min(begun, result.deployed_at)),
        "finished_at": int(result.deployed_at),
        **_common(context, version),
    }
    return {"data": {"attributes": attributes}}


def failure(result: GateResult, context: Context, service: str, version: str) -> dict[str, Any]:
    failed = [
        observation.at
        for check in result.checks
        for observation in check.observations
        if observation.verdict == "fail"
    ]
    where = f" in {context.environment}" if context.environment else ""
    attributes = {
        "id": identity("failure", context, service, result.deployed_at),
        "name": f"cibridge gate: rollback of {service}{where}",
        "services": [service],
        "started_at": int(min(failed) if failed else result.finished),
        **_common(context, version),
    }
    return {"data": {"attributes": attributes}}


def send(
    datadog: DatadogClient,
    result: GateResult,
    context: Context,
    service: str,
    version: str,
    say: Callable[[str], None],
    warn: Callable[[str], None],
) -> list[str]:
    """Send the deployment (and the failure, on rollback); the ids Datadog took."""
    events = [("deployment", deployment(result, context, service, version))]
    if result.action == "rollback":
        events.append(("failure", failure(result, context, service, version)))
    sent = []
    for kind, body in events:
        try:
            datadog.send("POST", f"/api/v2/dora/{kind}", body, f"Datadog DORA {kind}")
        except CibridgeError as error:
            if error.exit_code != EXIT_FAILURE:
                raise
            warn(f"Datadog DORA: the {kind} was not recorded: {error}")
            continue
        identifier = str(body["data"]["attributes"]["id"])
        say(f"Datadog DORA: {kind} of {service} recorded ({identifier})")
        sent.append(identifier)
    return sent
