"""Which route answers which request, per API version.

Data Center (v2) has no bulkfetch and no ``/search/jql``; Cloud (v3) answers the removed
``/search`` with 410 Gone. A known path with the wrong method is a 405, as Jersey's is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote

from cibridge.demo.standins import jira_changelog as history
from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins import jira_expand as expand
from cibridge.demo.standins import jira_issues as reads
from cibridge.demo.standins import jira_transitions as flow
from cibridge.demo.standins import jira_writes as writes
from cibridge.demo.standins.jira_issues import Call
from cibridge.demo.standins.server import Answer

Handler = Callable[[Call], Answer]
BOTH = frozenset({2, 3})
CLOUD = frozenset({3})
DATA_CENTER = frozenset({2})


def gone(call: Call) -> Answer:
    return err.messages(410, err.SEARCH_REMOVED)


class Route(NamedTuple):
    pattern: re.Pattern[str]  # the path after /rest/api/N/
    handlers: dict[str, Handler]
    versions: frozenset[int]
    names_issue: bool = False  # the first group is an issue key: storms apply


def _route(path: str, handlers: dict[str, Handler], versions: frozenset[int]) -> Route:
    return Route(re.compile(path), handlers, versions, path.startswith("issue/(["))


# First match wins: "issue/bulkfetch" must come before "issue/{key}".
ROUTES = [
    _route("issue/bulkfetch", {"POST": reads.bulkfetch}, CLOUD),
    _route("search", {"GET": gone, "POST": gone}, CLOUD),
    _route("search", {"GET": reads.search_v2, "POST": reads.search_v2}, DATA_CENTER),
    _route(
        "search/jql",
        {"GET": expand.expanded(reads.search_jql), "POST": expand.expanded(reads.search_jql)},
        CLOUD,
    ),
    _route(
        "issue/([^/]+)",
        {"GET": expand.expanded(reads.get_issue), "PUT": history.recording(writes.edit_issue)},
        BOTH,
    ),
    _route(
        "issue/([^/]+)/transitions",
        {"GET": flow.list_transitions, "POST": history.recording(flow.transition)},
        BOTH,
    ),
    _route("issue/([^/]+)/changelog", {"GET": history.list_changelog}, CLOUD),
    _route("issue/([^/]+)/comment", {"GET": flow.list_comments, "POST": flow.add_comment}, BOTH),
    _route(
        "issue/([^/]+)/remotelink",
        {"GET": writes.list_remote_links, "POST": writes.remote_link},
        BOTH,
    ),
    _route(
        "issue/([^/]+)/properties/([^/]+)",
        {"GET": writes.get_property, "PUT": writes.set_property},
        BOTH,
    ),
    _route("issueLink", {"POST": writes.issue_link}, BOTH),
    _route("serverInfo", {"GET": writes.server_info}, BOTH),
    _route("project/([^/]+)/versions", {"GET": writes.list_versions}, BOTH),
    _route("version", {"POST": writes.create_version}, BOTH),
    _route("version/([^/]+)", {"PUT": writes.update_version}, BOTH),
]


def route(method: str, api: int, rest: str) -> tuple[Handler, tuple[str, ...], bool] | Answer:
    """The handler, its decoded path parts and whether it names an issue; else the 404/405."""
    allowed: set[str] = set()
    for candidate in ROUTES:
        matched = candidate.pattern.fullmatch(rest)
        if matched is None or api not in candidate.versions:
            continue
        if method in candidate.handlers:
            parts = tuple(unquote(group) for group in matched.groups())
            return candidate.handlers[method], parts, candidate.names_issue
        allowed |= set(candidate.handlers)
    if allowed:
        return Answer(405, b"", {"Allow": ", ".join(sorted(allowed))})
    return err.stand_in(404, f"no {method} /rest/api/{api}/{rest} in this Jira")
