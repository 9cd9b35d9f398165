"""GitHub's jobs of a workflow run attempt, for the GitHub API stand-in.

``GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs``
(docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt): ``per_page``
(default 30, at most 100) and ``page``; ``{"total_count", "jobs"}`` with a ``Link`` header
(``rel="next"``, ``rel="last"``, ``rel="first"``, ``rel="prev"``) as GitHub sends it. A
run or attempt it was not told about is GitHub's 404. Each job has the documented fields
(the ``job-paginated`` example of github/rest-api-description); :func:`job` builds one.

Tests script a run with :meth:`RunJobs.script`; ``any_run`` answers for every run id of a
repository (act does not say which id it gives a run).
"""

from __future__ import annotations

from typing import Any

from cibridge.demo.standins.server import Answer, Request

DOCS = "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def job(
    name: str,
    conclusion: str | None = "success",
    *,
    job_id: int = 399444496,
    run_id: int = 29679449,
    attempt: int = 1,
    repository: str = "octo-org/octo-repo",
    failed_step: str = "",
    started_at: str = "2020-01-20T17:42:40Z",
    completed_at: str = "2020-01-20T17:44:39Z",
) -> dict[str, Any]:
    """One job as GitHub lists it: ``conclusion`` None is a job still in progress."""
    status = "completed" if conclusion is not None else "in_progress"
    steps: list[dict[str, Any]] = [
        _step("Set up job", 1, "success", started_at, started_at),
        _step("Run actions/checkout@v4", 2, "success", started_at, started_at),
    ]
    if conclusion == "skipped":
        steps = []
    elif failed_step:
        steps += [
            _step(failed_step, 3, "failure", started_at, completed_at),
            _step("Complete job", 4, "success", completed_at, completed_at),
        ]
    elif conclusion is None:
        steps.append(_step("Run tests", 3, None, started_at, None))
    else:
        steps.append(_step("Run tests", 3, conclusion, started_at, completed_at))
    api = f"https://api.github.com/repos/{repository}"
    return {
        "id": job_id,
        "run_id": run_id,
        "run_url": f"{api}/actions/runs/{run_id}",
        "run_attempt": attempt,
        "node_id": "MDEyOldvcmtmbG93IEpvYjM5OTQ0NDQ5Ng==",
        "head_sha": "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0",
        "url": f"{api}/actions/jobs/{job_id}",
        "html_url": f"https://github.com/{repository}/actions/runs/{run_id}/job/{job_id}",
        "status": status,
        "conclusion": conclusion,
        "created_at": started_at,
        "started_at": started_at,
        "completed_at": completed_at if conclusion is not None else None,
        "name": name,
        "steps": steps,
        "check_run_url": f"{api}/check-runs/{job_id}",
        "labels": ["ubuntu-latest"],
        "runner_id": 1 if conclusion != "skipped" else None,
        "runner_name": "GitHub Actions 1" if conclusion != "skipped" else None,
        "runner_group_id": 2 if conclusion != "skipped" else None,
        "runner_group_name": "GitHub Actions" if conclusion != "skipped" else None,
        "workflow_name": "CI",
        "head_branch": "main",
    }


def _step(
    name: str, number: int, conclusion: str | None, started: str, completed: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "status": "completed" if conclusion is not None else "in_progress",
        "conclusion": conclusion,
        "number": number,
        "started_at": started,
        "completed_at": completed,
    }


class RunJobs:
    def __init__(self) -> None:
        # (repository, run id, attempt) -> its jobs, in the order GitHub lists them
        self.runs: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.any_run: dict[str, dict[str, list[dict[str, Any]]]] = {}  # repo -> attempt -> jobs

    def script(
        self, repository: str, run_id: int | str, jobs: list[dict[str, Any]], attempt: int = 1
    ) -> None:
        self.runs[(repository, str(run_id), str(attempt))] = jobs

    def list(
        self, base: str, repository: str, run_id: str, attempt: str, request: Request
    ) -> Answer:
        jobs = self.runs.get((repository, run_id, attempt))
        if jobs is None:
            jobs = self.any_run.get(repository, {}).get(attempt)
        if jobs is None or not run_id.isdigit():
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        try:
            per_page = min(
                MAX_PER_PAGE, max(1, int(request.query.get("per_page", DEFAULT_PER_PAGE)))
            )
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            per_page, page = DEFAULT_PER_PAGE, 1
        shown = jobs[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(jobs) // per_page))
        url = f"{base}/repos/{repository}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        links = []
        if page < last:
            links += [f'<{url}?per_page={per_page}&page={page + 1}>; rel="next"']
            links += [f'<{url}?per_page={per_page}&page={last}>; rel="last"']
        if page > 1:
            links += [f'<{url}?per_page={per_page}&page={page - 1}>; rel="prev"']
            links += [f'<{url}?per_page={per_page}&page=1>; rel="first"']
        headers = {"Link": ", ".join(links)} if links else {}
        return Answer(200, {"total_count": len(jobs), "jobs": shown}, headers=headers)
