"""Reading issues: GET issue, bulkfetch, and both searches, as Jira shapes them.

Each route takes a :class:`Call` (the parsed request plus the state) and returns an
Answer; the service holds the lock while it runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.jira_jql import JqlError, search
from cibridge.demo.standins.jira_seed import DEPLOYED_TO, ISSUE_TYPES, RESOLUTIONS, status_json
from cibridge.demo.standins.jira_state import Issue, JiraKnobs, JiraState, Version
from cibridge.demo.standins.server import Answer

_NAVIGABLE = (
    "summary",
    "status",
    "project",
    "issuetype",
    "fixVersions",
    "labels",
    "resolution",
    "created",
    "updated",
    "issuelinks",
    DEPLOYED_TO.id,
)
_ALL = (*_NAVIGABLE, "comment")


@dataclass
class Call:
    state: JiraState
    knobs: JiraKnobs
    base: str  # http://127.0.0.1:PORT/jira, for the "self" links
    api: int  # 2 or 3
    method: str
    params: dict[str, list[str]]  # query parameters, every value
    body: Any  # the decoded JSON body, or None
    raw: bytes
    path: tuple[str, ...]  # the route's captured path parts (issue key, property name, ...)

    def param(self, name: str, default: str = "") -> str:
        return self.params.get(name, [default])[0]

    def url(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.api}/{path}"


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: bodies are read defensively."""
    return value if isinstance(value, dict) else {}


def wanted_fields(requested: list[str], default: str) -> list[str]:
    """Jira's ``fields`` rules: ``*all``, ``*navigable``, names, ``-name``; unknown names are
    ignored. ``id`` and ``key`` alone mean no fields at all."""
    names = [n.strip() for item in requested or [default] for n in item.split(",") if n.strip()]
    chosen: list[str] = []
    for name in names:
        if name in ("*all", "*navigable"):
            chosen += [f for f in (_ALL if name == "*all" else _NAVIGABLE) if f not in chosen]
        elif name in _ALL and name not in chosen:
            chosen.append(name)
    return [f for f in chosen if f"-{f}" not in names]


def version_json(call: Call, version: Version) -> dict[str, Any]:
    found: dict[str, Any] = {
        "self": call.url(f"version/{version.id}"),
        "id": version.id,
        "name": version.name,
        "archived": version.archived,
        "released": version.released,
        "projectId": version.project_id,
    }
    if version.description:
        found["description"] = version.description
    if version.release_date:
        found["releaseDate"] = version.release_date
    return found


def _links(call: Call, issue: Issue) -> list[dict[str, Any]]:
    found = []
    for link in call.state.links:
        if issue.key not in (link.inward, link.outward):
            continue
        other, side = (
            (link.outward, "outwardIssue")
            if link.inward == issue.key
            else (link.inward, "inwardIssue")
        )
        found.append({"id": link.id, "type": {"name": link.type}, side: {"key": other}})
    return found


def field_value(call: Call, issue: Issue, name: str) -> Any:
    project = call.state.project_of(issue)
    if name == "summary":
        return issue.summary
    if name == "status":
        return status_json(issue.status, call.base)
    if name == "project":
        return {
            "self": call.url(f"project/{project.id}"),
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
        }
    if name == "issuetype":
        type_id = ISSUE_TYPES[issue.issue_type]
        return {
            "self": call.url(f"issuetype/{type_id}"),
            "id": type_id,
            "name": issue.issue_type,
            "subtask": False,
            "hierarchyLevel": 0,
        }
    if name == "fixVersions":
        return [version_json(call, call.state.versions[v]) for v in issue.fix_versions]
    if name == "labels":
        return list(issue.labels)
    if name == "resolution":
        if issue.resolution is None:
            return None
        resolution_id = str(10000 + RESOLUTIONS.index(issue.resolution))
        return {
            "self": call.url(f"resolution/{resolution_id}"),
            "id": resolution_id,
            "name": issue.resolution,
        }
    if name in ("created", "updated"):
        return issue.created if name == "created" else issue.updated
    if name == "issuelinks":
        return _links(call, issue)
    if name == "comment":
        comments = [{"id": c.id, "body": c.body, "created": c.created} for c in issue.comments]
        return {
            "comments": comments,
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }
    return issue.custom.get(name)


def issue_json(call: Call, issue: Issue, fields: list[str]) -> dict[str, Any]:
    if not fields:
        return {"id": issue.id}  # what /search/jql answers when no field is asked for
    return {
        "expand": "",
        "id": issue.id,
        "self": call.url(f"issue/{issue.id}"),
        "key": issue.key,
        "fields": {name: field_value(call, issue, name) for name in fields},
    }


def by_key_or_id(state: JiraState, key_or_id: str) -> Issue | None:
    found = state.visible(key_or_id)
    if found is None and key_or_id.isdigit():
        found = next((i for i in state.issues.values() if i.id == key_or_id), None)
        found = state.visible(found.key) if found else None
    return found


def get_issue(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    return err.answer(
        200, issue_json(call, issue, wanted_fields(call.params.get("fields", []), "*all"))
    )


def bulkfetch(call: Call) -> Answer:
    body = obj(call.body)
    keys = body.get("issueIdsOrKeys")
    if not isinstance(keys, list) or not keys:
        return err.messages(400, err.BULK_EMPTY)
    if len(keys) > 100:
        return err.messages(400, err.BULK_LIMIT)
    fields = wanted_fields(body.get("fields") or [], "*navigable")
    issues, seen = [], set()
    for key in keys:
        issue = by_key_or_id(call.state, str(key))
        # Keys nobody can see are left out, not listed in issueErrors: that list is for
        # retriable failures only (the operation's documentation says so).
        if issue is not None and issue.key not in seen:
            seen.add(issue.key)
            issues.append(issue_json(call, issue, fields or ["summary"]))
    return err.answer(200, {"expand": "schema,names", "issues": issues, "issueErrors": []})


def _matching(call: Call, jql: str) -> list[Issue] | Answer:
    try:
        return search(call.state, jql)
    except JqlError as error:
        if str(error) == err.UNBOUNDED and call.api == 2:
            return list(i for i in call.state.issues.values() if call.state.project_of(i).visible)
        return (
            err.stand_in(400, str(error)) if error.stand_in else err.messages(400, *error.messages)
        )


def search_v2(call: Call) -> Answer:
    """Data Center's ``/rest/api/2/search``: offset pagination with a total."""
    body = obj(call.body)
    get = call.method == "GET"
    jql = call.param("jql") if get else str(body.get("jql") or "")
    try:
        start = int(call.param("startAt", "0") if get else body.get("startAt") or 0)
        size = min(int(call.param("maxResults", "50") if get else body.get("maxResults", 50)), 1000)
    except (TypeError, ValueError):
        return err.messages(400, "startAt and maxResults must be numbers")
    found = _matching(call, jql)
    if isinstance(found, Answer):
        return found
    fields = wanted_fields(
        call.params.get("fields", []) if get else body.get("fields") or [], "*navigable"
    )
    page = [issue_json(call, i, fields or ["summary"]) for i in found[start : start + size]]
    return err.answer(
        200,
        {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": page,
        },
    )


def _cursor(jql: str, offset: int) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(json.dumps([offset, digest]).encode()).decode()


def _offset(jql: str, cursor: str) -> int | None:
    try:
        offset, digest = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None
    if digest != hashlib.sha256(jql.encode()).hexdigest()[:12] or not isinstance(offset, int):
        return None  # a token from another query
    return offset


def search_jql(call: Call) -> Answer:
    """Cloud's ``/rest/api/3/search/jql``: token pagination, no total, ids unless asked."""
    body = obj(call.body)
    get = call.method == "GET"
    jql = call.param("jql") if get else str(body.get("jql") or "")
    cursor = call.param("nextPageToken") if get else str(body.get("nextPageToken") or "")
    raw_fields = call.params.get("fields", []) if get else body.get("fields") or []
    fields = wanted_fields(raw_fields, "id")
    # Jira shortens pages when fields are asked for: a client must follow nextPageToken
    # rather than trust maxResults.
    cap = 100 if fields else 5000
    try:
        size = min(int(call.param("maxResults", "50") if get else body.get("maxResults", 50)), cap)
    except (TypeError, ValueError):
        return err.messages(400, "maxResults must be a number")
    start = 0
    if cursor:
        offset = _offset(jql, cursor)
        if offset is None:
            return err.messages(400, err.BAD_PAGE_CURSOR)
        start = offset
    found = _matching(call, jql)
    if isinstance(found, Answer):
        return found
    page = [issue_json(call, i, fields) for i in found[start : start + size]]
    result: dict[str, Any] = {"issues": page, "isLast": start + size >= len(found)}
    if not result["isLast"]:
        result["nextPageToken"] = _cursor(jql, start + size)
    return err.answer(200, result)
