"""What one command's result says in a release: its stage line in the parent, its reply.

Built from what the command published (its outputs, and the gate's report), the way its
events are: the release never calls the command, and the command never knows of it.

- notify: the stage is the event (``build``, ``deploy <environment>``, ``alert``) with the
  job's status; its own message is the reply.
- jira / boards: which issues or work items moved, and how many failed.
- gate: the verdict, each check's value against its bound with a sparkline of the window,
  and the rollback it decided or started.
- trigger: which pipelines it started, for which issue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cibridge.release.model import Reply, Stage

MAX_LISTED = 10  # issues, work items, pipelines or checks named in one reply
_SPARKS = "▁▂▃▄▅▆▇█"
_STATUS = {"success": "success", "failure": "failure", "cancelled": "cancelled"}
_GATE = {"pass": "success", "fail": "failure", "error": "failure", "inconclusive": "skipped"}


@dataclass
class Done:
    """What a command published, as the release reads it."""

    command: str
    outputs: Mapping[str, str]
    ok: bool  # the command's exit code was 0
    run_url: str = ""
    event: str = ""  # notify
    status: str = ""  # notify: the job's status
    environment: str = ""
    transition: str = ""  # jira --transition / boards --state
    tracker_url: str = ""  # jira: the site, for links to issues
    report: Mapping[str, Any] = field(default_factory=dict)  # gate: its JSON report
    stage: str = ""  # --release-stage: the name the user chose


def _names(raw: str) -> list[str]:
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(item) for item in found] if isinstance(found, list) else []


def _count(outputs: Mapping[str, str], key: str) -> int:
    try:
        return int(outputs.get(key, "0") or 0)
    except ValueError:
        return 0


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" … (+{len(names) - MAX_LISTED})" if len(names) > MAX_LISTED else "")


def of(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    build = {"notify": _notify, "jira": _jira, "boards": _boards, "gate": _gate}.get(
        done.command, _trigger
    )
    stage, reply = build(done, t)
    if done.stage:
        stage = Stage(done.stage, stage.result, stage.text, stage.url)
    return stage, reply


def _notify(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    name = done.event or "build"
    if name == "deploy" and done.environment:
        name = f"deploy {done.environment}"
    result = "running" if done.status == "running" else _STATUS.get(done.status, "failure")
    text = f"{t.get(done.event or 'build', name)} {t.get(done.status, done.status)}"
    return Stage(name, result, text, done.run_url), Reply(text)


def _jira(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    issues = _names(done.outputs.get("issues", "[]"))
    failed = _count(done.outputs, "failed")
    moved = _count(done.outputs, "transitioned")
    text = t["release_jira"].format(n=moved, status=done.transition or "—") + _failed(failed, t)
    site = done.tracker_url.rstrip("/")
    links = [{"text": key, "url": f"{site}/browse/{key}" if site else ""} for key in issues]
    result = "success" if done.ok and not failed else "failure"
    return Stage("jira", result, text, done.run_url), Reply(text, [_listed(issues)], links=links)


def _boards(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    items = [f"AB#{i}" for i in _names(done.outputs.get("work-items", "[]"))]
    failed = _count(done.outputs, "failed")
    moved = _count(done.outputs, "moved")
    text = t["release_boards"].format(n=moved, state=done.transition or "—") + _failed(failed, t)
    result = "success" if done.ok and not failed else "failure"
    return Stage("boards", result, text, done.run_url), Reply(text, [_listed(items)])


def _failed(failed: int, t: Mapping[str, str]) -> str:
    return ", " + t["release_failed"].format(n=failed) if failed else ""


def spark(values: Sequence[float]) -> str:
    """The window's values as eight-level bars, lowest to highest of their own range."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(_SPARKS[min(7, int((v - low) / span * 8))] for v in values[-30:])


def _gate(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    verdict = done.outputs.get("result", "error")
    action = done.outputs.get("action", "none")
    text = t["release_gate"].format(verdict=t.get(f"verdict_{verdict}", verdict))
    links = []
    if done.outputs.get("rollback-dispatched") == "true":
        text += " → " + t["release_rollback_started"]
        if done.outputs.get("rollback-url"):
            links.append({"text": t["release_rollback"], "url": done.outputs["rollback-url"]})
    elif action == "rollback":
        pipeline = done.outputs.get("rollback-pipeline") or "rollback"
        text += " → " + t["release_rollback_decided"].format(pipeline=pipeline)
    table = []
    checks = done.report.get("checks") if isinstance(done.report, Mapping) else None
    for check in checks if isinstance(checks, list) else []:
        if not isinstance(check, Mapping):
            continue
        values = [
            float(o["value"])
            for o in check.get("observations") or []
            if isinstance(o, Mapping) and isinstance(o.get("value"), int | float)
        ]
        table.append(
            {
                "name": str(check.get("name", "")),
                "verdict": str(check.get("verdict", "")),
                "value": _number(check.get("value")),
                "threshold": str(check.get("threshold", "") or ""),
                "why": str(check.get("why", "") or ""),
                "spark": spark(values),
            }
        )
    reply = Reply(text, table=table[:MAX_LISTED], links=links)
    return Stage("gate", _GATE.get(verdict, "failure"), text, done.run_url), reply


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _trigger(done: Done, t: Mapping[str, str]) -> tuple[Stage, Reply]:
    try:
        started = json.loads(done.outputs.get("pipelines", "[]") or "[]")
    except ValueError:
        started = []
    rows = [p for p in started if isinstance(p, Mapping)] if isinstance(started, list) else []
    failed = _count(done.outputs, "failed")
    names = [f"{p.get('pipeline', '')} ({p.get('issue', '')})" for p in rows]
    dispatched = _count(done.outputs, "dispatched")
    if dispatched or not rows:
        text = t["release_trigger"].format(n=dispatched) + _failed(failed, t)
    else:  # matched, not dispatched (no --dispatch)
        text = t["release_trigger_matched"].format(n=len(rows)) + _failed(failed, t)
    links = [
        {"text": str(p.get("pipeline", "")), "url": str(p.get("target", ""))}
        for p in rows[:MAX_LISTED]
        if str(p.get("target", "")).startswith(("https://", "http://"))
    ]
    result = "success" if done.ok and not failed else "failure"
    return Stage("trigger", result, text, done.run_url), Reply(text, [_listed(names)], links=links)
