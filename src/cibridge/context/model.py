"""The normalised CI context every command and template sees, whatever the platform."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from cibridge.config import variables
from cibridge.context import job_status
from cibridge.core import isotime

MAX_COMMITS = 2048
ZERO_SHA = "0" * 40


@dataclass
class Author:
    name: str = ""
    email: str = ""
    login: str = ""


@dataclass
class Commit:
    sha: str
    message: str
    author: Author = field(default_factory=Author)
    url: str = ""
    timestamp: str = ""

    @property
    def short_sha(self) -> str:
        return self.sha[:8]

    @property
    def title(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "short_sha": self.short_sha, "title": self.title}


@dataclass
class PullRequest:
    number: int
    title: str
    url: str
    source_branch: str
    target_branch: str
    kind: str = "pull_request"  # "merge_request" on GitLab: templates name it as its platform does
    body: str = ""  # the description, where the platform gives it (GitHub's event, GitLab 16.7+)

    @property
    def reference(self) -> str:
        """How the platform writes it: GitHub's #2, GitLab's !2."""
        return f"{'!' if self.kind == 'merge_request' else '#'}{self.number}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reference": self.reference}


_SCALARS = (
    "platform repository repository_url sha ref branch tag event actor run_id run_url attempt "
    "workflow job status environment environment_url version started_at"
).split()


@dataclass
class Context:
    platform: str
    repository: str = ""
    repository_url: str = ""
    sha: str = ""
    ref: str = ""
    branch: str = ""
    tag: str = ""
    event: str = ""
    actor: str = ""
    run_id: str = ""
    run_url: str = ""
    attempt: str = ""  # which try of the run (or job) this is, when the platform counts them
    workflow: str = ""
    job: str = ""
    status: str = ""
    environment: str = ""
    environment_url: str = ""  # the environment's link when the platform knows it; --set wins
    version: str = ""
    commits: list[Commit] = field(default_factory=list)
    pull_request: PullRequest | None = None
    started_at: str = ""
    notes: list[str] = field(default_factory=list)
    range_base: str = ""  # the commit before the shipped range (push "before", GitLab's)

    def template_vars(self, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        values["short_sha"] = self.sha[:8]
        values["commits"] = [commit.as_dict() for commit in self.commits]
        values["pull_request"] = self.pull_request.as_dict() if self.pull_request else None
        values["duration_seconds"] = duration_since(self.started_at)
        values["finished_at"] = isotime.now()
        values.update(extra or {})
        return values


def duration_since(started_at: str) -> int | None:
    start = isotime.parse(started_at) if started_at else None
    if start is None:
        return None
    return max(0, int((datetime.now(timezone.utc) - start).total_seconds()))


def apply_overrides(context: Context, env: Mapping[str, str]) -> Context:
    """Values a workflow states explicitly win over what the platform implies."""
    for name in ("status", "environment", "version", "started_at"):
        value = env.get(variables.name("context", name))
        if value:
            setattr(context, name, job_status.normalise(value) if name == "status" else value)
    return context
