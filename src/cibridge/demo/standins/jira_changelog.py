"""Issue history: ``GET /rest/api/3/issue/{key}/changelog``, as Jira Cloud pages it.

The stand-in's state has no history of its own, so the routes that change a status or the
labels are wrapped (:func:`recording`): the wrapper compares the issue before and after a
successful call and appends one history entry, with the ``items`` Jira's webhooks and
changelog carry (``field``, ``fromString``, ``toString``). Histories live beside the state
(keyed by the state object, dropped with it), oldest first, as Jira lists them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.jira_issues import Call, by_key_or_id
from cibridge.demo.standins.jira_seed import STATUSES
from cibridge.demo.standins.jira_state import JiraState
from cibridge.demo.standins.server import Answer

_HISTORIES: dict[int, dict[str, list[dict[str, Any]]]] = {}
AUTHOR = {"accountId": "557058:standin-ci", "displayName": "cibridge CI", "active": True}


def histories(state: JiraState) -> dict[str, list[dict[str, Any]]]:
    """The histories of ``state``'s issues by key (created on first use)."""
    ident = id(state)
    if ident not in _HISTORIES:
        _HISTORIES[ident] = {}
        weakref.finalize(state, _HISTORIES.pop, ident, None)
    return _HISTORIES[ident]


def record(state: JiraState, key: str, items: list[dict[str, Any]]) -> str:
    """Append one history entry to ``key``'s changelog; returns its id."""
    history_id = str(state.next_id())
    entry = {
        "id": history_id,
        "author": AUTHOR,
        "created": "2026-11-28T09:00:00.000+0000",
        "items": items,
    }
    histories(state).setdefault(key.upper(), []).append(entry)
    return history_id


def status_item(before: str, after: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUSES[before][0],
        "fromString": before,
        "to": STATUSES[after][0],
        "toString": after,
    }


def labels_item(before: list[str], after: list[str]) -> dict[str, Any]:
    return {
        "field": "labels",
        "fieldtype": "jira",
        "fieldId": "labels",
        "from": None,
        "fromString": " ".join(before),
        "to": None,
        "toString": " ".join(after),
    }


def recording(handler: Callable[[Call], Answer]) -> Callable[[Call], Answer]:
    """``handler``, plus a history entry when it changed the issue's status or labels."""

    def wrapped(call: Call) -> Answer:
        issue = by_key_or_id(call.state, call.path[0]) if call.path else None
        before = (issue.status, list(issue.labels)) if issue is not None else None
        answer = handler(call)
        if issue is None or before is None or not 200 <= answer.status < 300:
            return answer
        items = []
        if issue.status != before[0]:
            items.append(status_item(before[0], issue.status))
        if issue.labels != before[1]:
            items.append(labels_item(before[1], issue.labels))
        if items:
            record(call.state, issue.key, items)
        return answer

    return wrapped


def list_changelog(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    try:
        start = max(int(call.param("startAt", "0")), 0)
        size = min(max(int(call.param("maxResults", "100")), 1), 100)
    except ValueError:
        return err.messages(400, "startAt and maxResults must be numbers")
    found = histories(call.state).get(issue.key, [])
    page = found[start : start + size]
    return err.answer(
        200,
        {
            "self": call.url(f"issue/{issue.key}/changelog?startAt={start}&maxResults={size}"),
            "maxResults": size,
            "startAt": start,
            "total": len(found),
            "isLast": start + size >= len(found),
            "values": page,
        },
    )
