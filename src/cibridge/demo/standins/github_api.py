"""GitHub's REST API, the slice ``cibridge trigger`` and ``gate --dispatch`` use:
workflow_dispatch, a repository's default branch, the runs a dispatch created, commit
statuses (:mod:`~cibridge.demo.standins.github_statuses`) and the jobs of a run attempt
(:mod:`~cibridge.demo.standins.github_jobs`, for ``cibridge summary``).

Checked as GitHub checks them: a token in ``Authorization`` (``Bearer`` or ``token``), the
documented ``Accept`` / ``X-GitHub-Api-Version`` values, a JSON body with a ``ref`` that
exists and string ``inputs`` the workflow declares (required ones present), a workflow that
has ``on: workflow_dispatch``. Errors are GitHub's bodies (``message``,
``documentation_url``, ``status``); success is 204 with no body. Tests read what started
through :attr:`GitHubApi.dispatches`; a client can list the runs as on GitHub.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from cibridge.demo.standins.github_jobs import RunJobs
from cibridge.demo.standins.github_statuses import CommitStatuses
from cibridge.demo.standins.server import Answer, Behaviour, Request

GITHUB_API_TOKEN = "ghs_standinGitHubToken0000000000000000"  # noqa: S105 - stand-in's own
DOCS = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
API_VERSIONS = ("2022-11-28", "2026-03-10")
INPUTS = ("issue_key", "summary", "version", "environment")
SEED_WORKFLOWS = (
    "deploy.yml",
    "project1-deployment-pipeline.yml",
    "project2-deployment-pipeline.yml",
    "production-deployment-pipeline.yml",
    "staging-deployment-pipeline.yml",
    "version-deployment-pipeline.yml",
    "checkout-deploy.yml",
)
_DISPATCH = re.compile(r"/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/dispatches")
_RUNS = re.compile(r"/repos/([^/]+/[^/]+)/actions/runs")
_JOBS = re.compile(r"/repos/([^/]+/[^/]+)/actions/runs/([^/]+)/attempts/([^/]+)/jobs")
_WORKFLOW_RUNS = re.compile(r"/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/runs")
_INPUT_REFERENCE = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_REPO = re.compile(r"/repos/([^/]+/[^/]+)")
_STATUS = re.compile(r"/repos/([^/]+/[^/]+)/statuses/([^/]+)")
_STATUSES = re.compile(r"/repos/([^/]+/[^/]+)/commits/([^/]+)/statuses")
# A rollback workflow the gate starts: `rollback_pipeline: rollback-checkout`.
ROLLBACK_WORKFLOW = "rollback-checkout.yml"
ROLLBACK_INPUTS = ("environment", "sha")


@dataclass
class Workflow:
    inputs: dict[str, bool]  # name -> required
    dispatchable: bool = True  # declares on: workflow_dispatch
    run_name: str = ""  # its `run-name:`, e.g. "Deploy ${{ inputs.change_id }}"


@dataclass
class Repository:
    default_branch: str = "main"
    branches: set[str] = field(default_factory=lambda: {"main", "release"})
    workflows: dict[str, Workflow] = field(default_factory=dict)


def _seed() -> dict[str, Repository]:
    workflows = {name: Workflow({i: i == "issue_key" for i in INPUTS}) for name in SEED_WORKFLOWS}
    workflows["ci.yml"] = Workflow({}, dispatchable=False)
    workflows[ROLLBACK_WORKFLOW] = Workflow(dict.fromkeys(ROLLBACK_INPUTS, False))
    return {"acme/checkout": Repository(workflows=workflows)}


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"message": message, "documentation_url": DOCS, "status": str(status)})


class GitHubApi:
    name = "github"
    prefix = "/github-api"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour
        self.repositories = _seed()
        self.dispatches: list[dict[str, Any]] = []  # each accepted dispatch, in order
        self.tokens = {GITHUB_API_TOKEN}
        self.statuses = CommitStatuses()
        self.jobs = RunJobs()
        self._lock = threading.Lock()

    def env(self, base_url: str) -> dict[str, str]:
        return {"GITHUB_API_URL": base_url + self.prefix}

    def handle(self, request: Request) -> Answer:
        path = request.path[len(self.prefix) :].rstrip("/")
        header = {k.lower(): v for k, v in request.headers.items()}
        refused = self._check_headers(header)
        if refused is not None:
            return refused
        with self._lock:
            found = _DISPATCH.fullmatch(path)
            if found:
                if request.method != "POST":
                    return _error(404, "Not Found")
                return self._dispatch(unquote(found.group(1)), unquote(found.group(2)), request)
            found = _STATUS.fullmatch(path) or _STATUSES.fullmatch(path)
            if found:
                return self._statuses(found, request)
            found = _JOBS.fullmatch(path)
            if found and request.method == "GET":
                name = unquote(found.group(1))
                if name not in self.repositories:
                    return _error(404, "Not Found")
                host = {k.lower(): v for k, v in request.headers.items()}.get("host", "")
                return self.jobs.list(
                    f"http://{host}{self.prefix}",
                    name,
                    unquote(found.group(2)),
                    unquote(found.group(3)),
                    request,
                )
            found = _RUNS.fullmatch(path)
            if found and request.method == "GET":
                return self._runs(unquote(found.group(1)))
            found = _WORKFLOW_RUNS.fullmatch(path)
            if found and request.method == "GET":
                return self._runs(unquote(found.group(1)), unquote(found.group(2)))
            found = _REPO.fullmatch(path)
            if found and request.method == "GET":
                repo = self.repositories.get(unquote(found.group(1)))
                if repo is None:
                    return _error(404, "Not Found")
                name = unquote(found.group(1))
                return Answer(
                    200,
                    {
                        "full_name": name,
                        "name": name.split("/")[1],
                        "default_branch": repo.default_branch,
                    },
                )
        return _error(404, "Not Found")

    def _statuses(self, found: re.Match[str], request: Request) -> Answer:
        name, sha = unquote(found.group(1)), unquote(found.group(2))
        if name not in self.repositories:
            return _error(404, "Not Found")
        if request.method == "POST" and found.re is _STATUS:
            return self.statuses.create(name, sha, request)
        if request.method == "GET":
            return self.statuses.list(name, sha, request)
        return _error(404, "Not Found")

    def _check_headers(self, header: dict[str, str]) -> Answer | None:
        credential = header.get("authorization", "")
        scheme, _, token = credential.partition(" ")
        if not credential:
            return _error(401, "Requires authentication")
        if scheme.lower() not in ("bearer", "token") or token not in self.tokens:
            return _error(401, "Bad credentials")
        version = header.get("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            return _error(400, f"Invalid API version: {version}")
        accept = header.get("accept", "")
        if accept and not any(
            kind in accept for kind in ("application/vnd.github", "application/json", "*/*")
        ):
            return _error(415, "Unsupported 'Accept' header")
        return None

    def _dispatch(self, name: str, workflow_id: str, request: Request) -> Answer:
        repo = self.repositories.get(name)
        workflow = repo.workflows.get(workflow_id) if repo is not None else None
        if repo is None or workflow is None:
            return _error(404, "Not Found")
        try:
            body = json.loads(request.raw) if request.raw else None
        except ValueError:
            return _error(400, "Problems parsing JSON")
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            return _error(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
        inputs = body.get("inputs", {})
        if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
            return _error(
                422, "Invalid request.\n\nFor 'properties/inputs', values must be strings."
            )
        if not workflow.dispatchable:
            return _error(422, "Workflow does not have 'workflow_dispatch' trigger")
        branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if branch not in repo.branches:
            return _error(422, f"No ref found for: {ref}")
        unexpected = sorted(set(inputs) - set(workflow.inputs))
        if unexpected:
            return _error(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
        for input_name, required in workflow.inputs.items():
            if required and not inputs.get(input_name):
                return _error(422, f"Required input '{input_name}' not provided")
        run_id = 9000 + len(self.dispatches) + 1
        self.dispatches.append(
            {
                "repository": name,
                "workflow": workflow_id,
                "ref": ref,
                "inputs": dict(inputs),
                "id": run_id,
            }
        )
        return Answer(204, b"")

    def _runs(self, name: str, workflow: str = "") -> Answer:
        repo = self.repositories.get(name)
        if repo is None or (workflow and workflow not in repo.workflows):
            return _error(404, "Not Found")
        runs = [
            {
                "id": d["id"],
                "name": d["workflow"].removesuffix(".yml"),
                "display_title": self._title(repo.workflows[d["workflow"]], d),
                "path": f".github/workflows/{d['workflow']}",
                "event": "workflow_dispatch",
                "head_branch": d["ref"],
                "status": "queued",
                "html_url": f"https://github.com/{name}/actions/runs/{d['id']}",
            }
            for d in reversed(self.dispatches)
            if d["repository"] == name and (not workflow or d["workflow"] == workflow)
        ]
        return Answer(200, {"total_count": len(runs), "workflow_runs": runs})

    @staticmethod
    def _title(workflow: Workflow, dispatch: dict[str, Any]) -> str:
        """A run's title as GitHub shows it: the workflow's run-name with its inputs, else
        the workflow's name."""
        if not workflow.run_name:
            return str(dispatch["workflow"]).removesuffix(".yml")
        inputs = dispatch["inputs"]
        return _INPUT_REFERENCE.sub(lambda m: str(inputs.get(m.group(1), "")), workflow.run_name)
