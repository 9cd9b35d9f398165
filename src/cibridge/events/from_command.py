"""The events one command's result stands for.

- notify: ``taskrun.started`` (status running) or ``taskrun.finished`` with the outcome;
  with ``--event deploy`` and success, also ``service.deployed``
- jira: ``ticket.updated`` for each issue it touched
- gate: ``service.deployed`` on pass, ``incident.detected`` on fail, and
  ``service.rolledback`` (linked to the deployment) when it dispatched the rollback
- trigger: ``pipelinerun.queued`` for each pipeline it started
- summary: ``pipelinerun.finished`` for the whole run, with its outcome and failed jobs

Identity: every event of a run shares one chain (``CIBRIDGE_EVENTS_CHAIN`` when the run was
started with one, else derived from the ``--release`` key when there is one, else from the
platform, repository and run id); an event's id is
derived from the run, the attempt, the command and its subject, so publishing the same
result again (a retried step, ``events flush``) gives the same ids and a broker's
de-duplication drops the copies. A deployment's id leaves the command out: the deploy
notification and the gate's pass are one deployment, and a rollback links to it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from cibridge.events.model import Event, relation, stable_id

if TYPE_CHECKING:
    from cibridge.context.model import Context

OUTCOMES = {"success": "success", "failure": "failure"}  # any other status: error


@dataclass(frozen=True)
class Run:
    """Who published: the run's identity and the values events describe."""

    chain: str
    run: str  # platform, repository and run id: one pipeline run
    attempt: str
    source: str  # the run's URL, else the repository's, else "cibridge"
    context: Context

    def id(self, *parts: str) -> str:
        return stable_id(self.run, self.attempt, *parts)


def run_of(context: Context, env: Mapping[str, str], release: str = "") -> Run:
    """The run's identity; a ``release`` (``--release``) is the chain of every run that
    reports to it, so its events and its chat thread are found by the same name."""
    attempt = env.get("GITHUB_RUN_ATTEMPT") or env.get("CI_JOB_ID") or "1"
    run = "/".join((context.platform, context.repository, context.run_id))
    chain = env.get("CIBRIDGE_EVENTS_CHAIN", "").strip()
    if not chain and release:
        chain = stable_id("release", release)
    if not chain:
        # A local run has no id to be found again by: its chain is this process's own, the
        # same for the trigger's {{ events_chain }} and for the events it publishes.
        chain = stable_id("chain", run) if context.run_id else _local_chain()
    source = context.run_url or context.repository_url or "cibridge"
    return Run(chain, run, attempt, source, context)


@cache
def _local_chain() -> str:
    return str(uuid.uuid4())


def _outcome(status: str) -> str:
    return OUTCOMES.get(status, "error")


def artifact(context: Context, service: str = "") -> str:
    """A package URL for what was shipped: ``pkg:generic/<name>@<version or sha>``."""
    name = service or context.repository.rsplit("/", 1)[-1] or "unknown"
    version = context.version or context.tag or context.sha[:12] or "unknown"
    return f"pkg:generic/{_purl(name)}@{_purl(version)}"


def _purl(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]", lambda m: f"%{ord(m.group()):02X}", text)


def _event(run: Run, kind: str, key: Sequence[str], subject: str, content: dict[str, Any]) -> Event:
    return Event(
        type=kind,
        id=run.id(*key),
        source=run.source,
        subject_id=subject,
        content={k: v for k, v in content.items() if v not in ("", None)},
        chain=run.chain,
    )


def deployment(run: Run, environment: str, artifact_id: str) -> Event:
    """One deployment, whichever command says it happened."""
    key = ("service.deployed", environment, artifact_id)
    return _event(
        run,
        "service.deployed",
        key,
        f"{environment}/{artifact_id}",
        {"environment": {"id": environment}, "artifactId": artifact_id},
    )


def notify(run: Run, args: Any, outputs: Mapping[str, str]) -> list[Event]:
    context = run.context
    status = str(getattr(args, "status", None) or context.status or "unknown")
    job = context.job or context.workflow or "cibridge"
    subject = f"{context.run_id or 'local'}/{job}"
    pipeline = {"id": context.run_id or "local", "source": run.source}
    base = {"taskName": job, "uri": context.run_url or None, "pipelineRun": pipeline}
    if status == "running":
        return [_event(run, "taskrun.started", ("notify", "started", job), subject, base)]
    content = {**base, "outcome": _outcome(status)}
    if content["outcome"] != "success":
        content["errors"] = f"the job's status is {status}"
    events = [_event(run, "taskrun.finished", ("notify", "finished", job), subject, content)]
    if getattr(args, "event", "") == "deploy" and status == "success":
        environment = context.environment or "unknown"
        events.append(deployment(run, environment, artifact(context)))
    return events


def jira(run: Run, outputs: Mapping[str, str], base_url: str) -> list[Event]:
    try:
        keys = json.loads(outputs.get("issues") or "[]")
    except ValueError:
        keys = []
    if outputs.get("dry-run") == "true" or not isinstance(keys, list):
        return []
    events = []
    for key in keys:
        uri = f"{base_url.rstrip('/')}/browse/{key}" if base_url else run.source
        content = {"uri": uri, "updatedBy": run.context.actor or None}
        events.append(_event(run, "ticket.updated", ("jira", str(key)), str(key), content))
    return events


def gate(run: Run, values: Mapping[str, str], outputs: Mapping[str, str]) -> list[Event]:
    context = run.context
    service = values.get("service_name") or context.repository.rsplit("/", 1)[-1]
    environment = context.environment or "unknown"
    artifact_id = artifact(context, service)
    result = outputs.get("result", "")
    deployed = deployment(run, environment, artifact_id)
    events: list[Event] = []
    if result == "pass":
        events.append(deployed)
    elif result == "fail":
        content = {
            "description": f"the deployment gate failed; action {outputs.get('action', 'none')}",
            "environment": {"id": environment},
            "service": {"id": service},
            "artifactId": artifact_id,
        }
        subject = f"{environment}/{service}"
        events.append(
            _event(run, "incident.detected", ("gate", "incident", subject), subject, content)
        )
    if outputs.get("rollback-dispatched") == "true":
        rolled = _event(
            run,
            "service.rolledback",
            ("gate", "rollback", environment, artifact_id),
            f"{environment}/{artifact_id}",
            {"environment": {"id": environment}, "artifactId": artifact_id},
        )
        events.append(Event(**{**rolled.__dict__, "links": (relation("ROLLBACK", deployed.id),)}))
    return events


def trigger(run: Run, outputs: Mapping[str, str]) -> list[Event]:
    try:
        started = json.loads(outputs.get("pipelines") or "[]")
    except ValueError:
        return []
    events = []
    for item in started if isinstance(started, list) else []:
        if not isinstance(item, dict):
            continue
        name, issue = str(item.get("pipeline", "")), str(item.get("issue", ""))
        target = str(item.get("target", ""))
        content = {"pipelineName": name, "uri": target if "://" in target else None}
        subject = f"{name}/{issue}" if issue else name
        events.append(_event(run, "pipelinerun.queued", ("trigger", subject), subject, content))
    return events


def summary(run: Run, outputs: Mapping[str, str]) -> list[Event]:
    """The run as a whole, once the summary read every job of it."""
    result = outputs.get("result", "")
    if result not in ("success", "failure", "cancelled"):
        return []  # still running, or never read
    context = run.context
    content: dict[str, Any] = {
        "pipelineName": context.workflow or context.repository or "pipeline",
        "uri": context.run_url or None,
        "outcome": _outcome(result),
    }
    try:
        failed = json.loads(outputs.get("failed-jobs") or "[]")
    except ValueError:
        failed = []
    if result != "success":
        named = ", ".join(str(name) for name in failed) if isinstance(failed, list) else ""
        content["errors"] = f"failed: {named}" if named else f"the run ended {result}"
    subject = context.run_id or "local"
    return [_event(run, "pipelinerun.finished", ("summary", subject), subject, content)]
