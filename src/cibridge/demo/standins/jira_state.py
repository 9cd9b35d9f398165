"""What the Jira stand-in remembers, and the knobs a test turns.

Plain dataclasses: the routes mutate them under the service's lock, tests read
snapshots of them through :meth:`Jira.issue` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Project:
    id: int
    key: str
    name: str
    visible: bool = True  # False: the account cannot browse it, so it "does not exist"
    can_transition: bool = True  # False: the transitions list comes back empty


@dataclass
class Version:
    id: str
    name: str
    project_id: int
    released: bool = False
    release_date: str | None = None
    archived: bool = False
    description: str = ""


@dataclass
class Comment:
    id: str
    body: Any  # ADF (v3) or a wiki-markup string (v2), as posted
    properties: dict[str, Any]
    created: str


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    data: dict[str, Any]  # the posted object, as Jira echoes it back


@dataclass
class IssueLink:
    id: str
    type: str
    inward: str
    outward: str


@dataclass
class Issue:
    id: str
    key: str
    project: str
    summary: str
    issue_type: str
    status: str
    labels: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)  # version ids
    resolution: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    created: str = "2024-05-01T09:00:00.000+0000"
    updated: str = "2024-05-01T09:00:00.000+0000"


@dataclass
class Field:
    """A field as a transition screen describes it (``expand=transitions.fields``)."""

    id: str
    name: str
    schema: dict[str, Any]
    required: bool = False
    allowed: tuple[str, ...] = ()  # names (resolution) or option values; empty: free text

    def meta(self, base: str) -> dict[str, Any]:
        described: dict[str, Any] = {
            "required": self.required,
            "schema": self.schema,
            "name": self.name,
            "key": self.id,
            "hasDefaultValue": False,
            "operations": ["set"] if self.schema.get("type") != "array" else ["add", "set"],
        }
        # Resolutions are named, options carry a value; both have ids Jira made up.
        kind, first = (
            ("resolution", 10000) if self.id == "resolution" else ("customFieldOption", 10100)
        )
        label = "name" if self.id == "resolution" else "value"
        if self.allowed:
            described["allowedValues"] = [
                {"self": f"{base}/rest/api/3/{kind}/{first + i}", "id": str(first + i), label: v}
                for i, v in enumerate(self.allowed)
            ]
        return described


@dataclass
class Transition:
    id: str
    name: str
    sources: tuple[str, ...]  # statuses it leaves from
    to: str
    screen: list[Field] = field(default_factory=list)


@dataclass
class JiraState:
    projects: dict[str, Project]
    issues: dict[str, Issue]  # by key
    versions: dict[str, Version]  # by id
    transitions: list[Transition]
    links: list[IssueLink] = field(default_factory=list)
    # (pipeline id, environment id, sequence number) -> the deployment as submitted
    deployments: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    counter: int = 20000  # ids for everything created at run time
    specs: Path | None = None  # the published descriptions requests are checked against

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def project_of(self, issue: Issue) -> Project:
        return self.projects[issue.project]

    def visible(self, key: str) -> Issue | None:
        issue = self.issues.get(key.upper())
        if issue is None or not self.projects[issue.project].visible:
            return None
        return issue

    def versions_of(self, project: Project) -> list[Version]:
        return [v for v in self.versions.values() if v.project_id == project.id]


@dataclass
class Storm:
    status: int
    remaining: int


@dataclass
class JiraKnobs:
    """Faults to inject. Counters count down as requests arrive; set them before the run."""

    throttle_next: int = 0  # the next N API requests answer ``throttle_status``
    throttle_status: int = 429  # 429, or 503 as Jira also sends under load
    retry_after: int = 1  # seconds, sent as Retry-After and as an X-RateLimit-Reset time
    latency: float = 0.0  # seconds added to every request, in parallel across connections
    storms: dict[str, Storm] = field(default_factory=dict)  # issue key -> its fault
    forbidden: set[str] = field(default_factory=set)  # projects whose writes answer 403
    deployment_type: str = "Cloud"  # serverInfo's answer: "Cloud", "Server" or "DataCenter"

    def throttle(self, times: int, *, status: int = 429, retry_after: int = 1) -> None:
        self.throttle_next, self.throttle_status, self.retry_after = times, status, retry_after

    def storm(self, key: str, times: int, *, status: int = 409) -> None:
        """The next ``times`` requests naming ``key`` answer ``status`` (409 or 429)."""
        self.storms[key.upper()] = Storm(status, times)

    def forbid(self, project: str) -> None:
        self.forbidden.add(project.upper())
