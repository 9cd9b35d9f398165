"""What a notification says, before any provider's markup: title, facts, commits, links.

Templates receive this as ``message``; the per-event wording lives here so every provider
says the same thing and a template only decides the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cibridge.context import job_status

EVENTS = ("build", "deploy", "alert")
# What a message can be about: notify's events, and `cibridge summary`'s one per run.
KINDS = (*EVENTS, "summary")
STATUSES = tuple(job_status.NOTIFY.values())  # notify's --status words

# Colour bar (Slack hex), Feishu header template and Teams container style per status.
_STYLE = {
    "success": ("✅", "#2EB67D", "green", "good"),
    "failure": ("❌", "#E01E5A", "red", "attention"),
    "cancelled": ("⚪", "#9E9E9E", "grey", "default"),
    "running": ("🔄", "#1D9BD1", "blue", "accent"),
    "": ("ℹ️", "#9E9E9E", "grey", "default"),
}


def build(
    kind: str,
    status: str,
    variables: Mapping[str, Any],
    labels: Mapping[str, str],
    max_commits: int = 10,
) -> dict[str, Any]:
    emoji, color, theme, teams_style = _STYLE.get(status, _STYLE[""])
    commits = list(variables.get("commits") or [])
    service = str(variables.get("service_name") or variables.get("repository") or "")
    message: dict[str, Any] = {
        "kind": kind,
        "status": status,
        "status_text": labels.get(status or "unknown", status),
        "emoji": emoji,
        "color": color,
        "theme": theme,
        "teams_style": teams_style,
        "title": _title(kind, service, variables, labels),
        "summary": _summary(kind, variables, labels),
        "facts": [f for f in _facts(kind, status, service, variables, labels) if f["value"]],
        "links": [link for link in _links(variables, labels) if link["url"]],
        "commits": commits[:max_commits],
        "commits_more": max(0, len(commits) - max_commits),
        "mentions": [],
    }
    return message


def _title(kind: str, service: str, v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    if kind == "deploy":
        target = f" → {v['environment']}" if v.get("environment") else ""
        return f"{t['deploy']} · {service}{target}"
    if kind == "alert":
        return f"{t['alert']} · {v.get('alert_name') or service}"
    if kind == "summary":
        workflow = f" · {v['workflow']}" if v.get("workflow") else ""
        return f"{t['summary']} · {service}{workflow}"
    return f"{t['build']} · {service}"


def _summary(kind: str, v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    if kind == "alert":
        return str(v.get("description") or "")
    pull = v.get("pull_request")
    if pull:
        kind = _pull_kind(pull)
        reference = pull.get("reference") or f"#{pull['number']}"
        return f"{t[kind]} {reference}: {pull['title']}"
    return str(v.get("summary") or "")


def _pull_kind(pull: Mapping[str, Any]) -> str:
    return "merge_request" if pull.get("kind") == "merge_request" else "pull_request"


def _fact(label: str, value: Any, url: Any = "") -> dict[str, str]:
    return {"label": label, "value": "" if value is None else str(value), "url": str(url or "")}


def _facts(
    kind: str, word: str, service: str, v: Mapping[str, Any], t: Mapping[str, str]
) -> list[dict[str, str]]:
    # The status this message reports (build's argument), whatever the variables say.
    word = word or "unknown"
    status = _fact(t["status"], t.get(f"state_{word}", word))
    timing = [_fact(t["started"], v.get("started_at"))]
    if word != "running":  # still going: nothing has finished, and no duration is final yet
        timing += [
            _fact(t["finished"], v.get("finished_at")),
            _fact(t["duration"], _duration(v.get("duration_seconds"))),
        ]
    ref = [_fact(t["branch"], v.get("branch")), _fact(t["tag"], v.get("tag"))]
    if kind == "deploy":
        return [
            _fact(t["service"], service),
            _fact(t["environment"], v.get("environment"), v.get("environment_url")),
            _fact(t["version"], v.get("version") or v.get("short_sha")),
            _fact(t["deployer"], v.get("actor")),
            status,
            *ref,
            *timing,
        ][:10]
    if kind == "alert":
        return [
            _fact(t["severity"], v.get("severity")),
            _fact(t["service"], service),
            _fact(t["environment"], v.get("environment")),
            status,
            _fact(t["started"], v.get("started_at") or v.get("finished_at")),
        ]
    return [
        _fact(t["project"], v.get("repository"), v.get("repository_url")),
        _fact(t["build_id"], f"#{v['run_id']}" if v.get("run_id") else "", v.get("run_url")),
        status,
        _fact(t["actor"], v.get("actor")),
        *ref,
        _fact(t["commit"], v.get("short_sha"), _commit_url(v)),
        *timing,
    ][:10]


def _links(v: Mapping[str, Any], t: Mapping[str, str]) -> list[dict[str, str]]:
    pull = v.get("pull_request") or {}
    return [
        {"label": t["view_run"], "url": str(v.get("run_url") or "")},
        {"label": t["view_commit"], "url": _commit_url(v)},
        {"label": t[f"view_{_pull_kind(pull)}"], "url": str(pull.get("url") or "")},
        {"label": t["view_environment"], "url": str(v.get("environment_url") or "")},
    ]


def _commit_url(v: Mapping[str, Any]) -> str:
    commits = v.get("commits") or []
    if commits and commits[0].get("sha") == v.get("sha") and commits[0].get("url"):
        return str(commits[0]["url"])
    base = str(v.get("repository_url") or "")
    if not base or not v.get("sha"):
        return ""
    separator = "/-/commit/" if v.get("platform") == "gitlab" else "/commit/"
    return f"{base}{separator}{v['sha']}"


def _duration(seconds: Any) -> str:
    from cibridge.render.filters import duration

    return duration(seconds)
