"""GitLab's jobs of a pipeline, for :class:`~cibridge.demo.standins.gitlab_api.GitLabApi`.

``GET /projects/:id/pipelines/:pipeline_id/jobs`` and ``.../bridges``
(docs.gitlab.com/api/jobs#list-pipeline-jobs, #list-pipeline-trigger-jobs): ``per_page``
(default 20, at most 100), ``page``, ``include_retried`` (default false: a retried job's
older tries are left out), ``scope[]``; newest first; the pagination headers
``X-Page``, ``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``,
``X-Total-Pages``. An API token only: a job token (``JOB-TOKEN``) is GitLab's 401, as
these endpoints do not take one. :func:`job` builds a job with the documented fields.
"""

from __future__ import annotations

from typing import Any

from cibridge.demo.standins.server import Answer, Request

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def job(
    name: str,
    status: str = "success",
    *,
    job_id: int = 7,
    stage: str = "test",
    pipeline_id: int = 6,
    project: str = "acme/checkout",
    duration: float | None = 0.173,
    failure_reason: str | None = None,
    allow_failure: bool = False,
    retried: bool = False,
    bridge: bool = False,
) -> dict[str, Any]:
    """One job as GitLab lists it (the docs' example, trimmed of artifacts)."""
    ran = status not in ("created", "pending", "skipped", "manual")
    item: dict[str, Any] = {
        "commit": {
            "author_email": "admin@example.com",
            "author_name": "Administrator",
            "created_at": "2015-12-24T16:51:14.000+01:00",
            "id": "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd",
            "message": "Test the CI integration.",
            "short_id": "0ff3ae19",
            "title": "Test the CI integration.",
        },
        "coverage": None,
        "archived": False,
        "allow_failure": allow_failure,
        "created_at": "2015-12-24T15:51:21.727Z",
        "started_at": "2015-12-24T17:54:24.729Z" if ran else None,
        "finished_at": "2015-12-24T17:54:24.921Z" if ran and status != "running" else None,
        "erased_at": None,
        "duration": duration if ran else None,
        "queued_duration": 0.01,
        "id": job_id,
        "name": name,
        "pipeline": {
            "id": pipeline_id,
            "project_id": 1,
            "ref": "main",
            "sha": "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd",
            "status": "pending",
        },
        "ref": "main",
        "stage": stage,
        "status": status,
        "failure_reason": failure_reason if status == "failed" else None,
        "tag": False,
        "web_url": f"https://gitlab.example.com/{project}/-/jobs/{job_id}",
        "user": {"id": 1, "name": "Administrator", "username": "root", "state": "active"},
        "retried": retried,
    }
    if bridge:
        item["downstream_pipeline"] = {
            "id": pipeline_id + 1,
            "sha": "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd",
            "ref": "main",
            "status": status,
            "web_url": f"https://gitlab.example.com/{project}/-/pipelines/{pipeline_id + 1}",
        }
    else:
        item["runner"] = {"id": 32, "description": "", "active": True, "is_shared": True}
        item["tag_list"] = ["docker runner"]
    return item


class PipelineJobs:
    def __init__(self) -> None:
        # (project id, pipeline id) -> jobs / bridges, every try, oldest first
        self.jobs: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self.bridges: dict[tuple[int, str], list[dict[str, Any]]] = {}
        # project id -> (jobs, bridges) for every pipeline id (gitlab-ci-local picks the id)
        self.any_pipeline: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    def script(
        self,
        project_id: int,
        pipeline_id: int | str,
        jobs: list[dict[str, Any]],
        bridges: list[dict[str, Any]] | None = None,
    ) -> None:
        self.jobs[(project_id, str(pipeline_id))] = jobs
        self.bridges[(project_id, str(pipeline_id))] = bridges or []

    def list(self, project_id: int, pipeline_id: str, kind: str, request: Request) -> Answer:
        store = self.jobs if kind == "jobs" else self.bridges
        listed = store.get((project_id, pipeline_id))
        if listed is None and project_id in self.any_pipeline and pipeline_id.isdigit():
            listed = self.any_pipeline[project_id][0 if kind == "jobs" else 1]
        if listed is None:
            return Answer(404, {"message": "404 Not found"})
        if request.query.get("include_retried", "false") not in ("true", "1"):
            listed = [j for j in listed if not j.get("retried")]
        listed = sorted(listed, key=lambda j: -int(j["id"]))  # newest first
        try:
            per_page = min(
                MAX_PER_PAGE, max(1, int(request.query.get("per_page", DEFAULT_PER_PAGE)))
            )
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            return Answer(400, {"error": "per_page is invalid"})
        pages = max(1, -(-len(listed) // per_page))
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(listed)),
            "X-Total-Pages": str(pages),
        }
        return Answer(200, listed[(page - 1) * per_page : page * per_page], headers=headers)
