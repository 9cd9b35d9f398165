"""``expand=changelog`` and ``properties=...`` on GET issue and on ``/search/jql``.

The read routes answer fields only; this wrapper adds what those two parameters ask for to
each issue in the answer, as Jira does: ``properties`` as an object of the requested keys
that exist, ``changelog`` as a page of the most recent histories first (Jira's documented
order for an expanded changelog), cut at :data:`RECENT` with the true ``total``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cibridge.demo.standins import jira_changelog as history
from cibridge.demo.standins.jira_issues import Call, by_key_or_id, obj
from cibridge.demo.standins.server import Answer

RECENT = 40  # histories an expanded changelog carries; the rest is paged from /changelog


def _requested(call: Call) -> tuple[list[str], bool]:
    if call.method == "GET":
        names = [n for v in call.params.get("properties", []) for n in v.split(",") if n]
        expand = ",".join(call.params.get("expand", []))
    else:
        body = obj(call.body)
        raw = body.get("properties")
        names = [str(n) for n in raw] if isinstance(raw, list) else []
        value = body.get("expand")
        expand = ",".join(value) if isinstance(value, list) else str(value or "")
    return names, "changelog" in [part.strip() for part in expand.split(",")]


def expanded(handler: Callable[[Call], Answer]) -> Callable[[Call], Answer]:
    def wrapped(call: Call) -> Answer:
        answer = handler(call)
        names, changelog = _requested(call)
        if answer.status != 200 or not isinstance(answer.body, dict) or not (names or changelog):
            return answer
        items: Any = answer.body.get("issues") if "issues" in answer.body else [answer.body]
        for item in items if isinstance(items, list) else []:
            issue = by_key_or_id(call.state, str(item.get("id", "")))
            if issue is None:
                continue
            if names:
                item["properties"] = {
                    k: issue.properties[k] for k in names if k in issue.properties
                }
            if changelog:
                found = history.histories(call.state).get(issue.key, [])
                recent = list(reversed(found))[:RECENT]
                item["changelog"] = {
                    "startAt": 0,
                    "maxResults": len(recent),
                    "total": len(found),
                    "histories": recent,
                }
        return answer

    return wrapped
