"""Jira (Cloud v3 and Data Center v2): a stateful stand-in under ``/jira``.

It keeps issues, workflow, comments, links, versions and entity properties in memory
(fresh from :func:`jira_seed.seed` for every StandIns), answers with Jira's own error
bodies, and checks each v3 request against Atlassian's OpenAPI description when the
fixtures are there (see :mod:`jira_spec`). Faults are injected through :attr:`Jira.knobs`;
tests read what happened through :meth:`Jira.issue` and friends, never through HTTP.

Request handling runs in this order: latency, throttling, authentication, routing, the
OpenAPI check, a per-issue fault storm, then the route itself under one lock (so
concurrent clients see a consistent Jira while the injected latency still overlaps).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from cibridge.demo.standins import jira_deployments as deploy_api
from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins import jira_writes as writes
from cibridge.demo.standins.jira_auth import (
    JIRA_CLIENT_ID,
    JIRA_CLIENT_SECRET,
    JIRA_EMAIL,
    JIRA_PAT,
    JIRA_TOKEN,
    TokenIssuer,
    header,
    identify,
)
from cibridge.demo.standins.jira_issues import Call
from cibridge.demo.standins.jira_routes import gone, route
from cibridge.demo.standins.jira_seed import ISSUE_TYPES, STATUSES, seed
from cibridge.demo.standins.jira_spec import spec_problems
from cibridge.demo.standins.jira_state import Comment, Field, Issue, IssueLink, JiraKnobs, Version
from cibridge.demo.standins.jira_transitions import now
from cibridge.demo.standins.server import Answer, Behaviour, Request

__all__ = [
    "JIRA_CLIENT_ID",
    "JIRA_CLIENT_SECRET",
    "JIRA_EMAIL",
    "JIRA_PAT",
    "JIRA_TOKEN",
    "Jira",
    "jira_of",
]

_API = re.compile(r"/rest/api/([23])/(.*)")


@dataclass(frozen=True)
class IssueView:
    """A snapshot of one issue for assertions; changing it changes nothing in Jira."""

    key: str
    summary: str
    status: str
    resolution: str | None
    issue_type: str
    labels: list[str]
    fix_versions: list[str]  # names
    comments: list[Comment]
    remote_links: list[dict[str, Any]]  # {"id", "globalId", "object", ...} as posted
    properties: dict[str, Any]
    fields: dict[str, Any]  # custom fields set on transitions


class _HasServices(Protocol):
    @property
    def services(self) -> Sequence[object]: ...


class Jira:
    name = "jira"
    prefix = "/jira"

    def __init__(self, behaviour: Behaviour) -> None:
        # Jira's knobs are its own (self.knobs): the shared Behaviour carries the server-wide
        # throttle, which answers in no particular service's format, and the spec folder.
        self.state = seed()
        self.state.specs = behaviour.specs
        self.knobs = JiraKnobs()
        self.tokens = TokenIssuer()
        self.spec_rejections: list[str] = []  # every request the OpenAPI check refused
        self._lock = threading.RLock()

    def env(self, base_url: str) -> dict[str, str]:
        # The loopback host is not *.atlassian.net, so the API version is said outright.
        return {
            "JIRA_BASE_URL": base_url + self.prefix,
            "JIRA_USER_EMAIL": JIRA_EMAIL,
            "JIRA_API_TOKEN": JIRA_TOKEN,
            "JIRA_API_VERSION": "3",
        }

    # -- serving ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        if self.knobs.latency > 0:
            time.sleep(self.knobs.latency)
        path = request.path[len(self.prefix) :]
        if path == "/oauth/token":
            return self.tokens.handle(request)
        if path == deploy_api.PATH:
            with self._lock:
                return deploy_api.submit(request, self.state, self.tokens)
        matched = _API.fullmatch(path)
        if matched is None:
            return err.stand_in(404, f"no Jira resource at {path}")
        api, rest = int(matched.group(1)), matched.group(2).rstrip("/")
        limited = self._throttled()
        if limited is not None:
            return limited
        who = identify(request, api, self.tokens)
        if who is None:
            return err.unauthenticated(bool(header(request, "Authorization")))
        if rest == "myself" and request.method == "GET":
            return writes.myself(self._call(request, api, ()), who)
        found = route(request.method, api, rest)
        if isinstance(found, Answer):
            return found
        handler, parts, issue_scoped = found
        if api == 3 and handler is not gone:
            refused = self._spec_check(request, matched.group(0))
            if refused is not None:
                return refused
        if issue_scoped:
            storm = self._storm(parts[0])
            if storm is not None:
                return storm
        try:
            call = self._call(request, api, parts)
        except ValueError as error:
            return err.messages(400, f"Unexpected character in the JSON body: {error}")
        with self._lock:
            try:
                return handler(call)
            except Exception as error:  # a stand-in bug: say so rather than drop the socket
                return err.stand_in(500, f"{type(error).__name__}: {error}")

    def _call(self, request: Request, api: int, parts: tuple[str, ...]) -> Call:
        host = header(request, "Host") or "127.0.0.1"
        query = urlsplit(request.target).query
        body = json.loads(request.raw) if request.raw.strip() else None
        return Call(
            self.state,
            self.knobs,
            f"http://{host}{self.prefix}",
            api,
            request.method,
            parse_qs(query),
            body,
            request.raw,
            parts,
        )

    def _throttled(self) -> Answer | None:
        with self._lock:
            if self.knobs.throttle_next <= 0:
                return None
            self.knobs.throttle_next -= 1
        return err.rate_limited(self.knobs.throttle_status, self.knobs.retry_after)

    def _storm(self, key: str) -> Answer | None:
        with self._lock:
            storm = self.knobs.storms.get(key.upper())
            if storm is None or storm.remaining <= 0:
                return None
            storm.remaining -= 1
        if storm.status == 429:
            return err.rate_limited(429, self.knobs.retry_after)
        return err.messages(storm.status, err.CONFLICT)

    def _spec_check(self, request: Request, path: str) -> Answer | None:
        problems = spec_problems(
            self.state.specs,
            request.method,
            path,
            urlsplit(request.target).query,
            request.headers,
            request.raw,
        )
        if not problems:
            return None
        summary = f"{request.method} {path}: " + "; ".join(problems)
        with self._lock:
            self.spec_rejections.append(summary)
        return err.stand_in(
            400, f"the request does not match Jira's OpenAPI description: {summary}"
        )

    # -- for tests: seeding, knobs that reshape the workflow, inspection -------------------

    @property
    def token_requests(self) -> int:
        return self.tokens.requests

    def add_issue(
        self,
        project: str,
        summary: str,
        *,
        issue_type: str = "Task",
        status: str = "To Do",
        labels: Iterable[str] = (),
        fix_versions: Iterable[str] = (),
    ) -> str:
        """A new issue in ``project`` (fix versions by name); returns its key."""
        if issue_type not in ISSUE_TYPES or status not in STATUSES:
            raise ValueError(f"unknown issue type {issue_type!r} or status {status!r}")
        with self._lock:
            key_project = self.state.projects[project.upper()]
            number = 1 + max(
                (
                    int(i.key.split("-")[1])
                    for i in self.state.issues.values()
                    if i.project == key_project.key
                ),
                default=0,
            )
            by_name = {v.name: v.id for v in self.state.versions_of(key_project)}
            key = f"{key_project.key}-{number}"
            self.state.issues[key] = Issue(
                str(self.state.next_id()),
                key,
                key_project.key,
                summary,
                issue_type,
                status,
                list(labels),
                [by_name[name] for name in fix_versions],
            )
            # Created now, as in Jira: a query on created / updated sees it as new.
            self.state.issues[key].created = self.state.issues[key].updated = now()
            return key

    def require_field(
        self, transition: str, field_id: str, name: str, schema: dict[str, Any] | None = None
    ) -> None:
        """Put one more required field on a transition's screen (by transition id or name)."""
        with self._lock:
            for candidate in self.state.transitions:
                if transition in (candidate.id, candidate.name):
                    candidate.screen.append(
                        Field(field_id, name, schema or {"type": "string"}, True)
                    )
                    return
        raise ValueError(f"no transition {transition!r}")

    def issue(self, key: str) -> IssueView:
        with self._lock:
            issue = self.state.issues[key.upper()]
            return IssueView(
                issue.key,
                issue.summary,
                issue.status,
                issue.resolution,
                issue.issue_type,
                list(issue.labels),
                [self.state.versions[v].name for v in issue.fix_versions],
                copy.deepcopy(issue.comments),
                [
                    {"id": link.id, "globalId": link.global_id, **copy.deepcopy(link.data)}
                    for link in issue.remote_links
                ],
                copy.deepcopy(issue.properties),
                copy.deepcopy(issue.custom),
            )

    def version(self, project: str, name: str) -> Version | None:
        with self._lock:
            wanted = self.state.projects[project.upper()]
            found = [v for v in self.state.versions_of(wanted) if v.name == name]
            return copy.copy(found[0]) if found else None

    @property
    def deployments(self) -> list[dict[str, Any]]:
        """Stored deployments (the latest update of each), in submission order."""
        with self._lock:
            return copy.deepcopy(list(self.state.deployments.values()))

    @property
    def links(self) -> list[IssueLink]:
        with self._lock:
            return [copy.copy(link) for link in self.state.links]


def jira_of(stand_ins: _HasServices) -> Jira:
    """The Jira among a StandIns' services: ``jira_of(stand_ins).issue("PROJ-1")``."""
    for service in stand_ins.services:
        if isinstance(service, Jira):
            return service
    raise LookupError("these stand-ins have no Jira")
