"""GitLab's API v4, the slice ``cibridge trigger`` and ``gate --dispatch`` use: starting a
pipeline, reading a project's default branch, and commit statuses
(:mod:`~cibridge.demo.standins.gitlab_statuses`, the same API token).

- ``POST /projects/:id/trigger/pipeline``: ``token`` (a pipeline trigger token of that
  project, or a CI job token allowed to reach it), ``ref``, ``variables[KEY]=value``, as
  form fields or JSON; no auth header. A wrong token is GitLab's 404.
- ``POST /projects/:id/pipeline``: ``PRIVATE-TOKEN`` (or ``Authorization: Bearer``) and
  JSON ``{ref, variables: [{key, value}]}``.
- ``GET /projects/:id``: the same token; ``default_branch``.
- ``GET /projects/:id/pipelines/:pipeline_id/jobs`` and ``/bridges``: the same token, paged
  (:mod:`~cibridge.demo.standins.gitlab_jobs`, for ``cibridge summary``).

``:id`` is the numeric id or the URL-encoded path. Errors are GitLab's bodies
(``{"message": ...}``, ``{"error": ...}``, ``{"message": {"base": [...]}}``); tests read
what started through :attr:`GitLabApi.pipelines`.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from cibridge.demo.standins.gitlab_jobs import PipelineJobs
from cibridge.demo.standins.gitlab_statuses import CommitStatuses
from cibridge.demo.standins.server import Answer, Behaviour, Request

GITLAB_TRIGGER_TOKEN = "glptt-standinTriggerToken000000000"  # noqa: S105 - stand-in's own
GITLAB_API_TOKEN = "glpat-standinApiToken00000000000"  # noqa: S105
GITLAB_JOB_TOKEN = "glcbt-standinJobToken00000000000"  # noqa: S105
_PROJECT = re.compile(r"/api/v4/projects/([^/]+)(/trigger/pipeline|/pipelines|/pipeline)?")
_STATUS = re.compile(
    r"/api/v4/projects/([^/]+)/(?:statuses/([^/]+)|repository/commits/([^/]+)/statuses)"
)
_JOBS = re.compile(r"/api/v4/projects/([^/]+)/pipelines/([^/]+)/(jobs|bridges)")
_VARIABLE_REFERENCE = re.compile(r"\$\$|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_VARIABLE = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class Project:
    id: int
    path: str
    default_branch: str = "main"
    branches: set[str] = field(default_factory=lambda: {"main", "release"})
    trigger_tokens: set[str] = field(default_factory=lambda: {GITLAB_TRIGGER_TOKEN})
    job_token_allowed: bool = True  # the job token's project is on this one's allowlist
    # `workflow: name:` of its .gitlab-ci.yml, with $VARIABLES expanded as GitLab does
    workflow_name: str = ""


def _message(status: int, message: object) -> Answer:
    return Answer(status, {"message": message})


class GitLabApi:
    name = "gitlab"
    prefix = "/gitlab"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour
        self.projects = {42: Project(42, "acme/checkout")}
        self.pipelines: list[dict[str, Any]] = []  # each created pipeline, in order
        self.statuses = CommitStatuses()
        self.jobs = PipelineJobs()
        self.api_tokens = {GITLAB_API_TOKEN}  # PRIVATE-TOKEN values it accepts
        self._lock = threading.Lock()

    def env(self, base_url: str) -> dict[str, str]:
        return {"CI_API_V4_URL": base_url + self.prefix + "/api/v4"}

    def _project(self, ident: str) -> Project | None:
        ident = unquote(ident)
        if ident.isdigit():
            return self.projects.get(int(ident))
        return next((p for p in self.projects.values() if p.path == ident), None)

    def handle(self, request: Request) -> Answer:
        jobs = _JOBS.fullmatch(request.path[len(self.prefix) :].rstrip("/"))
        if jobs is not None and request.method == "GET":
            if self._api_user(request) is None:
                return _message(401, "401 Unauthorized")
            with self._lock:
                project = self._project(jobs.group(1))
                if project is None:
                    return _message(404, "404 Project Not Found")
                return self.jobs.list(project.id, unquote(jobs.group(2)), jobs.group(3), request)
        status = _STATUS.fullmatch(request.path[len(self.prefix) :].rstrip("/"))
        if status is not None:
            return self._statuses(status, request)
        matched = _PROJECT.fullmatch(request.path[len(self.prefix) :].rstrip("/"))
        if matched is None:
            return _message(404, "404 Not Found")
        with self._lock:
            project = self._project(matched.group(1))
            action = matched.group(2) or ""
            if action == "/trigger/pipeline" and request.method == "POST":
                return self._trigger(project, request)
            if action == "/pipeline" and request.method == "POST":
                return self._create(project, request)
            if action == "/pipelines" and request.method == "GET":
                if self._api_user(request) is None:
                    return _message(401, "401 Unauthorized")
                if project is None:
                    return _message(404, "404 Project Not Found")
                listed = [
                    {k: v for k, v in p.items() if k != "variables"}
                    for p in reversed(self.pipelines)
                    if p["project_id"] == project.id
                ]
                return Answer(200, listed[:100])
            if not action and request.method == "GET":
                if self._api_user(request) is None:
                    return _message(401, "401 Unauthorized")
                if project is None:
                    return _message(404, "404 Project Not Found")
                return Answer(
                    200,
                    {
                        "id": project.id,
                        "path_with_namespace": project.path,
                        "default_branch": project.default_branch,
                        "web_url": f"https://gitlab.example.com/{project.path}",
                    },
                )
        return _message(404, "404 Not Found")

    def _statuses(self, found: re.Match[str], request: Request) -> Answer:
        if self._api_user(request) is None:
            return _message(401, "401 Unauthorized")
        with self._lock:
            project = self._project(found.group(1))
            if project is None:
                return _message(404, "404 Project Not Found")
            if found.group(2) and request.method == "POST":
                return self.statuses.create(project.id, project.path, found.group(2), request)
            if found.group(3) and request.method == "GET":
                return self.statuses.list(project.id, found.group(3), request)
        return _message(404, "404 Not Found")

    def _api_user(self, request: Request) -> str | None:
        header = {k.lower(): v for k, v in request.headers.items()}
        token = header.get("private-token") or ""
        scheme, _, bearer = header.get("authorization", "").partition(" ")
        if not token and scheme.lower() == "bearer":
            token = bearer
        return "api" if token in self.api_tokens else None

    def _trigger(self, project: Project | None, request: Request) -> Answer:
        content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
        variables: dict[str, str] = {}
        if "application/json" in content_type:
            try:
                body = json.loads(request.raw or b"{}")
            except ValueError:
                return _message(400, "400 Bad request - JSON body is not valid")
            body = body if isinstance(body, dict) else {}
            raw_vars = body.get("variables") or {}
            variables = (
                {str(k): str(v) for k, v in raw_vars.items()} if isinstance(raw_vars, dict) else {}
            )
            fields = {k: str(v) for k, v in body.items() if k != "variables"}
        else:
            fields = {}
            for key, value in parse_qsl(
                request.raw.decode("utf-8", "replace"), keep_blank_values=True
            ):
                inner = re.fullmatch(r"variables\[(.*)\]", key)
                if inner:
                    variables[inner.group(1)] = value
                else:
                    fields[key] = value
            fields.update({k: v for k, v in request.query.items() if k not in fields})
        token = fields.get("token", "")
        if not token:
            return Answer(400, {"error": "token is missing"})
        if not fields.get("ref"):
            return Answer(400, {"error": "ref is missing"})
        via_job = token == GITLAB_JOB_TOKEN
        if project is None or not (
            token in project.trigger_tokens or (via_job and project.job_token_allowed)
        ):
            return _message(404, "404 Not Found")
        return self._start(project, fields["ref"], variables, "pipeline" if via_job else "trigger")

    def _create(self, project: Project | None, request: Request) -> Answer:
        if self._api_user(request) is None:
            return _message(401, "401 Unauthorized")
        if project is None:
            return _message(404, "404 Project Not Found")
        try:
            body = json.loads(request.raw or b"{}")
        except ValueError:
            return _message(400, "400 Bad request - JSON body is not valid")
        body = body if isinstance(body, dict) else {}
        if not body.get("ref"):
            return Answer(400, {"error": "ref is missing"})
        raw = body.get("variables") or []
        if not isinstance(raw, list) or not all(isinstance(v, dict) and "key" in v for v in raw):
            return Answer(400, {"error": "variables is invalid"})
        variables = {str(v["key"]): str(v.get("value", "")) for v in raw}
        return self._start(project, str(body["ref"]), variables, "api")

    def _start(self, project: Project, ref: str, variables: dict[str, str], source: str) -> Answer:
        if ref not in project.branches:
            return _message(400, {"base": ["Reference not found"]})
        bad = [k for k in variables if not _VARIABLE.fullmatch(k)]
        if bad:
            return _message(
                400,
                {"base": [f"Variable key {bad[0]!r} can contain only letters, digits and '_'."]},
            )
        pipeline_id = 5000 + len(self.pipelines) + 1
        created = {
            "id": pipeline_id,
            "iid": len(self.pipelines) + 1,
            "project_id": project.id,
            "ref": ref,
            "sha": "c" * 40,
            "status": "created",
            "source": source,
            "web_url": f"https://gitlab.example.com/{project.path}/-/pipelines/{pipeline_id}",
            "name": _expand(project.workflow_name, variables) or None,
            "variables": dict(variables),
        }
        self.pipelines.append(created)
        return Answer(201, {k: v for k, v in created.items() if k != "variables"})


def _expand(text: str, variables: dict[str, str]) -> str:
    """GitLab's expansion of a pipeline name: $NAME and ${NAME} from the variables, $$ a
    literal dollar."""

    def one(found: re.Match[str]) -> str:
        return "$" if found.group(0) == "$$" else variables.get(found.group(1), "")

    return _VARIABLE_REFERENCE.sub(one, text)
