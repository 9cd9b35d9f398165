"""Every job of one CI run, read from the CI's API: what ``cibridge summary`` reports.

GitHub: ``GET {api}/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs``
(docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt), paged with
``per_page=100`` and the ``Link`` header's ``rel="next"``; a bearer token with ``actions:
read`` (``GITHUB_TOKEN``). Each job's ``steps[]`` names the step that failed.

GitLab: ``GET {api}/projects/:id/pipelines/:pipeline_id/jobs`` and ``.../bridges`` (trigger
jobs), paged with ``per_page=100`` and ``X-Next-Page`` (docs.gitlab.com/api/jobs). An API
token with ``read_api`` (``GITLAB_TOKEN``, ``PRIVATE-TOKEN`` header): ``CI_JOB_TOKEN`` may
not call these endpoints (docs.gitlab.com/ci/jobs/ci_job_token, gitlab-org/gitlab#467492,
#506668: not among the job token's endpoints, fine-grained job-token permissions included).
``include_retried`` is left at its default (false), so GitLab lists the newest try of each
job; jobs are still kept once per name, the newest, should an instance list older tries.

A refusal (401, 403, 404), an answer of the wrong shape and a run of more than
:data:`MAX_JOBS` jobs are errors that say so; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from cibridge.clients.pipelines import GITHUB_HEADERS, service_message
from cibridge.core.errors import CibridgeError, failure
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.transport import Response, Transport

PER_PAGE = 100
MAX_PAGES = 10  # per list, 1000 jobs: four times the 256 jobs one GitHub matrix may make
MAX_JOBS = MAX_PAGES * PER_PAGE
Printer = Callable[[str, str], None]  # a dry run shows each read: (method, url)

GITHUB_HINTS = {
    401: "GitHub refused the token: pass github-token (or GITHUB_TOKEN) with a valid token",
    403: "the token may not read this run's jobs: give the summary job "
    "`permissions: actions: read`",
    404: "no such repository, run or attempt, or the token cannot see it: run the summary in "
    "the same workflow run (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT)",
}
GITLAB_HINTS = {
    401: "GitLab refused the token: GITLAB_TOKEN must be a project, group or personal access "
    "token with the read_api scope (CI_JOB_TOKEN cannot list a pipeline's jobs)",
    403: "the token's user may not read this pipeline (Reporter role or higher, read_api scope)",
    404: "no such project or pipeline, or the token cannot see it: check CI_PROJECT_ID and "
    "CI_PIPELINE_ID",
}
TOKEN_HINTS = {
    "github": "pass github-token: ${{ github.token }} and give the job `permissions: actions: "
    "read` (or set GITHUB_TOKEN)",
    "gitlab": "CI_JOB_TOKEN cannot list a pipeline's jobs: create a project access token with "
    "the read_api scope (Reporter role) and store it as the masked CI/CD variable GITLAB_TOKEN",
}
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Run:
    """The run whose jobs are read."""

    kind: str  # github | gitlab
    api_url: str
    project: str  # owner/repo, or the GitLab project id or path
    run_id: str
    attempt: str = "1"  # GitHub's run attempt

    def describe(self) -> str:
        if self.kind == "github":
            return f"GitHub run {self.project}#{self.run_id} (attempt {self.attempt})"
        return f"GitLab pipeline {self.project}#{self.run_id}"

    def first_pages(self) -> list[str]:
        """The first request of each list, as a dry run without a token shows them."""
        if self.kind == "github":
            return [self._github_url()]
        return [self._gitlab_url(kind, 1) for kind in ("jobs", "bridges")]

    def _github_url(self) -> str:
        return (
            f"{self.api_url}/repos/{self.project}/actions/runs/{quote(self.run_id, safe='')}/"
            f"attempts/{quote(self.attempt or '1', safe='')}/jobs?per_page={PER_PAGE}"
        )

    def _gitlab_url(self, kind: str, page: int) -> str:
        query = urlencode({"per_page": PER_PAGE, "page": page})
        return (
            f"{self.api_url}/projects/{quote(self.project, safe='')}/pipelines/"
            f"{quote(self.run_id, safe='')}/{kind}?{query}"
        )


@dataclass(frozen=True)
class Job:
    """One job as both CIs describe it, in cibridge's words."""

    id: str
    name: str
    status: str  # success | failure | cancelled | skipped | running | manual
    url: str = ""
    started_at: str = ""
    finished_at: str = ""
    duration_seconds: float | None = None
    stage: str = ""  # GitLab's stage
    failed_step: str = ""  # GitHub: the first step that failed
    failed_step_url: str = ""
    failure_reason: str = ""  # GitLab's failure_reason
    allow_failure: bool = False  # GitLab: a failure that does not fail the pipeline
    attempt: int = 1
    trigger: bool = False  # a GitLab bridge (trigger job)


@dataclass
class Read:
    jobs: list[Job]
    calls: int  # API requests made


# The CI's words -> cibridge's. GitHub: conclusion when completed, else its status.
GITHUB_CONCLUSIONS = {
    "success": "success",
    "neutral": "success",
    "failure": "failure",
    "timed_out": "failure",
    "startup_failure": "failure",
    "action_required": "failure",
    "cancelled": "cancelled",
    "skipped": "skipped",
    "stale": "skipped",
}
GITLAB_STATUSES = {
    "success": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "canceling": "cancelled",
    "skipped": "skipped",
    "manual": "manual",
    "scheduled": "manual",
}


class RunJobs:
    def __init__(
        self, transport: Transport | None, token: str, printer: Printer | None = None
    ) -> None:
        self.transport = transport
        self.token = token
        self.printer = printer

    def read(self, run: Run) -> Read:
        if not self.token:
            raise CibridgeError(
                f"{run.describe()}: no token to read the run's jobs with",
                hint=TOKEN_HINTS[run.kind],
            )
        if run.kind == "github":
            items, calls = self._github(run)
            return Read(_newest(parse_github(item) for item in items), calls)
        jobs, calls = self._gitlab(run, "jobs")
        bridges, more = self._gitlab(run, "bridges")
        parsed = [parse_gitlab(item) for item in jobs]
        parsed += [parse_gitlab(item, trigger=True) for item in bridges]
        return Read(_newest(parsed), calls + more)

    # -- GitHub ---------------------------------------------------------------------------

    def _github(self, run: Run) -> tuple[list[dict[str, Any]], int]:
        url: str | None = run.first_pages()[0]
        items: list[dict[str, Any]] = []
        calls = 0
        while url:
            if calls >= MAX_PAGES:
                raise _too_many(run)
            response = self._get(run, url)
            calls += 1
            data = response.json()
            jobs = data.get("jobs") if isinstance(data, dict) else None
            if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
                raise _shape(run, response, 'an object with a "jobs" list')
            items += jobs
            url = _next_link(response, run)
        return items, calls

    # -- GitLab ---------------------------------------------------------------------------

    def _gitlab(self, run: Run, kind: str) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        page = 1
        calls = 0
        while page:
            if calls >= MAX_PAGES:
                raise _too_many(run)
            response = self._get(run, run._gitlab_url(kind, page))
            calls += 1
            data = response.json()
            if not isinstance(data, list) or not all(isinstance(j, dict) for j in data):
                raise _shape(run, response, f"a list of {kind}")
            items += data
            following = response.headers.get("x-next-page", "").strip()
            page = int(following) if following.isdigit() and int(following) > page else 0
        return items, calls

    # -- both -----------------------------------------------------------------------------

    def _get(self, run: Run, url: str) -> Response:
        if self.printer is not None:
            self.printer("GET", url)
        if self.transport is None:
            raise CibridgeError(f"{run.describe()}: no transport")
        service = "GitHub" if run.kind == "github" else "GitLab"
        if run.kind == "github":
            from cibridge.http.auth import Bearer

            response = self.transport.request(
                "GET",
                url,
                headers=GITHUB_HEADERS,
                auth=Bearer(self.token),
                what=f"{service} jobs",
                stay_on_origin=True,
            )
        else:
            response = self.transport.request(
                "GET",
                url,
                headers={"PRIVATE-TOKEN": self.token},
                what=f"{service} jobs",
                stay_on_origin=True,
            )
        hints = GITHUB_HINTS if run.kind == "github" else GITLAB_HINTS
        raise_for_refusal(
            response,
            f"{service} refused to list the jobs of {run.describe()}",
            hint=hints.get(response.status, ""),
            detail=service_message(response),
        )
        return response


def parse_github(item: dict[str, Any]) -> Job:
    status = str(item.get("status") or "")
    conclusion = str(item.get("conclusion") or "")
    state = GITHUB_CONCLUSIONS.get(conclusion, "running") if status == "completed" else "running"
    url = str(item.get("html_url") or "")
    step_name, step_url = "", ""
    steps = item.get("steps") if isinstance(item.get("steps"), list) else []
    for step in steps or []:
        if isinstance(step, dict) and step.get("conclusion") in ("failure", "timed_out"):
            step_name = str(step.get("name") or "")
            number = step.get("number")
            step_url = f"{url}#step:{number}:1" if url and isinstance(number, int) else url
            break
    started, finished = str(item.get("started_at") or ""), str(item.get("completed_at") or "")
    attempt = item.get("run_attempt")
    return Job(
        id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        status=state,
        url=url,
        started_at=started,
        finished_at=finished,
        duration_seconds=_seconds_between(started, finished) if state != "skipped" else None,
        failed_step=step_name,
        failed_step_url=step_url,
        attempt=attempt if isinstance(attempt, int) else 1,
    )


def parse_gitlab(item: dict[str, Any], *, trigger: bool = False) -> Job:
    status = str(item.get("status") or "")
    duration = item.get("duration")
    if trigger:  # a bridge's status is its downstream pipeline's when it has one
        downstream = item.get("downstream_pipeline")
        if isinstance(downstream, dict) and downstream.get("status"):
            status = str(downstream["status"])
    return Job(
        id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        status=GITLAB_STATUSES.get(status, "running"),
        url=str(item.get("web_url") or ""),
        started_at=str(item.get("started_at") or ""),
        finished_at=str(item.get("finished_at") or ""),
        duration_seconds=float(duration) if isinstance(duration, int | float) else None,
        stage=str(item.get("stage") or ""),
        failure_reason=str(item.get("failure_reason") or ""),
        allow_failure=item.get("allow_failure") is True,
        trigger=trigger,
    )


def _newest(jobs: Any) -> list[Job]:
    """One job per name: the newest try (highest attempt, then highest id), in the order the
    names first appear."""
    chosen: dict[str, Job] = {}
    for job in jobs:
        kept = chosen.get(job.name)
        if kept is None or (job.attempt, _number(job.id)) > (kept.attempt, _number(kept.id)):
            chosen[job.name] = job
    return list(chosen.values())


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _seconds_between(start: str, end: str) -> float | None:
    from cibridge.core.isotime import parse

    begun, ended = parse(start), parse(end)
    if begun is None or ended is None:
        return None
    return max(0.0, (ended - begun).total_seconds())


def _next_link(response: Response, run: Run) -> str | None:
    found = _NEXT.search(response.headers.get("link", ""))
    if not found:
        return None
    url = found.group(1)
    if urlsplit(url).netloc != urlsplit(run.api_url).netloc:
        raise failure(
            f"{run.describe()}: the next page of jobs is on another host ({urlsplit(url).netloc})",
            hint="check GITHUB_API_URL",
        )
    return url


def _shape(run: Run, response: Response, expected: str) -> CibridgeError:
    return failure(
        f"{run.describe()}: the jobs answer is not {expected}: {response.excerpt(200)}",
        hint="check the API URL (GITHUB_API_URL / CI_API_V4_URL): it should be the CI's REST API",
    )


def _too_many(run: Run) -> CibridgeError:
    return failure(
        f"{run.describe()} has more than {MAX_JOBS} jobs: cibridge summarises at most {MAX_JOBS}",
        hint="split the workflow or pipeline; nothing was sent",
    )
