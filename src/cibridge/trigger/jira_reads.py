"""The Jira reads ``cibridge trigger`` needs beyond :class:`JiraClient`'s: one issue with its
fix versions' release state, the issue's history, and JQL search with paging.

They go through :meth:`JiraClient.call` (same session, auth, error handling), so they can
move into the client unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cibridge.clients.jira import FIELDS, Issue, JiraError

if TYPE_CHECKING:
    from cibridge.clients.jira import JiraClient

RECORD = "cibridge.trigger"  # the issue property ``once`` keeps its record in
HISTORY_FIELDS = ("status", "labels")
PAGE = 100  # Jira caps pages at 100 when fields are asked for
MAX_PAGES = 1000  # 100,000 issues: a query that matches more is not a deployment rule


@dataclass(frozen=True)
class FixVersion:
    id: str
    name: str
    released: bool


@dataclass(frozen=True)
class Change:
    """One history entry's change of one field."""

    id: str
    field: str
    before: str
    after: str


@dataclass
class TriggerIssue:
    """An issue as Jira says it is now (never as a webhook body said it was), with the
    properties and recent history the same answer carried when Jira was asked for them."""

    key: str
    summary: str = ""
    status: str = ""
    project: str = ""
    issue_type: str = ""
    labels: list[str] = field(default_factory=list)
    fix_versions: list[FixVersion] = field(default_factory=list)
    properties: dict[str, Any] | None = None  # None: the answer did not carry them
    history: list[Change] | None = None  # oldest first; None: not carried, or cut short

    @classmethod
    def parse(cls, data: Any) -> TriggerIssue:
        data = data if isinstance(data, dict) else {}
        issue = Issue.parse(data)  # the fields every Jira read shares; versions in full here
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
        versions = fields.get("fixVersions")
        properties = data.get("properties")
        return cls(
            key=issue.key.upper(),
            summary=issue.summary,
            status=issue.status,
            project=issue.project.upper(),
            issue_type=issue.issue_type,
            labels=issue.labels,
            fix_versions=[
                FixVersion(
                    str(v.get("id") or ""), str(v.get("name") or ""), v.get("released") is True
                )
                for v in (versions if isinstance(versions, list) else [])
                if isinstance(v, dict)
            ],
            properties=properties if isinstance(properties, dict) else None,
            history=_expanded_history(data.get("changelog")),
        )


def _expanded_history(log: Any) -> list[Change] | None:
    """The changes in an expanded changelog, or None when it is absent or not complete (an
    expanded changelog holds the recent entries only; the rest is paged from /changelog)."""
    if not isinstance(log, dict) or not isinstance(log.get("histories"), list):
        return None
    entries = [e for e in log["histories"] if isinstance(e, dict)]
    total = log.get("total")
    if isinstance(total, int) and total > len(entries):
        return None
    return _changes(entries, HISTORY_FIELDS)


def _changes(entries: list[dict[str, Any]], fields: tuple[str, ...]) -> list[Change]:
    found: list[Change] = []
    for entry in entries:
        items = entry.get("items") if isinstance(entry.get("items"), list) else []
        for item in items or []:
            if isinstance(item, dict) and str(item.get("field", "")).lower() in fields:
                found.append(
                    Change(
                        str(entry.get("id") or ""),
                        str(item.get("field")).lower(),
                        str(item.get("fromString") or ""),
                        str(item.get("toString") or ""),
                    )
                )
    # Oldest first whatever order the answer used: history ids grow with time.
    return sorted(found, key=lambda c: int(c.id) if c.id.isascii() and c.id.isdigit() else 0)


def issue(client: JiraClient, key: str) -> TriggerIssue:
    query = f"fields={','.join(FIELDS)}&properties={RECORD}&expand=changelog"
    url = client.api(f"issue/{quote(key, safe='')}?{query}")
    found = TriggerIssue.parse(client.call("GET", url, what=key, expect=dict))
    if not found.key:
        raise JiraError(f"Jira {key}: the answer has no issue key", 200, "is this a Jira site?")
    return found


def changes(client: JiraClient, key: str, fields: tuple[str, ...]) -> list[Change]:
    """The changes to ``fields`` in ``key``'s history, oldest first (Cloud's paged
    ``/changelog``; Data Center's ``expand=changelog``, which lists the latest entries)."""
    return _changes(list(_histories(client, key)), fields)


def _histories(client: JiraClient, key: str) -> Iterator[dict[str, Any]]:
    quoted = quote(key, safe="")
    if client.api_version < 3:
        url = client.api(f"issue/{quoted}?fields=status&expand=changelog")
        data = client.call("GET", url, what=f"{key} history", expect=dict)
        log = data.get("changelog") if isinstance(data, dict) else None
        entries = log.get("histories") if isinstance(log, dict) else None
        yield from (e for e in entries or [] if isinstance(e, dict))
        return
    start = 0
    for _ in range(MAX_PAGES):
        url = client.api(f"issue/{quoted}/changelog?startAt={start}&maxResults={PAGE}")
        data = client.call("GET", url, what=f"{key} history", expect=dict)
        values = data.get("values") if isinstance(data, dict) else None
        page = [v for v in values or [] if isinstance(v, dict)]
        yield from page
        if not page or data.get("isLast") is not False:
            return
        start += len(page)


@dataclass
class SearchCost:
    """What a search took: requests sent, issues seen."""

    requests: int = 0
    issues: int = 0


def search(client: JiraClient, jql: str, cost: SearchCost | None = None) -> Iterator[TriggerIssue]:
    """Every issue ``jql`` selects, page after page: ``/rest/api/3/search/jql`` with
    ``nextPageToken`` on Cloud (the old ``/search`` answers 410), ``startAt`` on v2."""
    cost = cost if cost is not None else SearchCost()
    token, start = "", 0
    for _ in range(MAX_PAGES):
        if client.api_version >= 3:
            body: dict[str, Any] = {"jql": jql, "fields": list(FIELDS), "maxResults": PAGE}
            body.update(properties=[RECORD], expand="changelog")
            if token:
                body["nextPageToken"] = token
            url = client.api("search/jql")
        else:
            body = {"jql": jql, "fields": list(FIELDS), "maxResults": PAGE, "startAt": start}
            body.update(properties=[RECORD], expand=["changelog"])
            url = client.api("search")
        cost.requests += 1
        data = client.call("POST", url, what="search", json=body, read=True, expect=dict)
        issues = data.get("issues") if isinstance(data, dict) else None
        if not isinstance(issues, list):
            raise JiraError("Jira search: the answer's 'issues' is not a list", 200)
        for item in issues:
            cost.issues += 1
            yield TriggerIssue.parse(item)
        if client.api_version >= 3:
            token = str(data.get("nextPageToken") or "")
            if data.get("isLast") is not False or not token:
                return
        else:
            start += len(issues)
            total = data.get("total")
            if not issues or not isinstance(total, int) or start >= total:
                return
    raise JiraError(
        f"Jira search: more than {MAX_PAGES * PAGE:,} issues match {jql!r}",
        200,
        "narrow the rule (projects, issue types) or pass --poll-filter",
    )


def jql_quote(value: str) -> str:
    """A JQL string literal: quotes and backslashes escaped, so a value is never syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
