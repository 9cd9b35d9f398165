"""Starting a pipeline: GitHub's ``workflow_dispatch`` API, GitLab's pipeline APIs.

GitHub: ``POST {api}/repos/{repo}/actions/workflows/{file}/dispatches`` with
``{ref, inputs}`` and a bearer token (``GITHUB_TOKEN`` or the ``github-token`` input; it
needs ``actions: write``); 204 means started. The default branch comes from the event
payload or ``GET {api}/repos/{repo}``.

GitLab: with a pipeline trigger token (``GITLAB_TRIGGER_TOKEN``) or the job token
(``CI_JOB_TOKEN``), ``POST {api}/projects/:id/trigger/pipeline`` with the form fields
``token``, ``ref`` and ``variables[KEY]``; with an API token (``GITLAB_TOKEN``,
``PRIVATE-TOKEN`` header), ``POST {api}/projects/:id/pipeline`` with
``{ref, variables: [{key, value}]}``. 201 means created.

A refusal (401, 403, 404, 422, 400) is an exit-1 failure carrying the service's own message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from cibridge.core import redact
from cibridge.core.errors import CibridgeError, failure
from cibridge.core.untrusted import excerpt
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.clients.targets import Target
    from cibridge.http.transport import Response, Transport

Printer = Callable[[str, str, Any], None]


GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
GITHUB_HINTS = {
    401: "GitHub refused the token: pass github-token (or GITHUB_TOKEN) with a valid token",
    403: "the token may not start workflows there: give the job `permissions: actions: write` "
    "(or use a token with actions: write on that repository)",
    404: "no such repository or workflow file, or the token cannot see it: check "
    "pipelines.<name>.github.repository / workflow",
    422: "the workflow must declare `on: workflow_dispatch` with exactly these inputs, and the "
    "ref must exist",
}
GITLAB_HINTS = {
    400: "check the ref (a branch or tag that exists) and the variables",
    401: "GitLab refused the token: check GITLAB_TOKEN / GITLAB_TRIGGER_TOKEN",
    403: "the token's user may not run pipelines on that ref (protected branch?)",
    404: "no such project, or the token does not belong to it (a trigger token works for "
    "its own project only; CI_JOB_TOKEN needs the target's job-token allowlist)",
}


@dataclass(frozen=True)
class Started:
    detail: str  # what was started, in words
    url: str = ""  # the run or pipeline, when the service says


@dataclass(frozen=True)
class Credentials:
    github_token: str = ""
    gitlab_trigger_token: str = ""
    gitlab_token: str = ""
    gitlab_job_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        found = cls(
            env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or "",
            env.get("GITLAB_TRIGGER_TOKEN", ""),
            env.get("GITLAB_TOKEN", ""),
            env.get("CI_JOB_TOKEN", ""),
        )
        for value in (
            found.github_token,
            found.gitlab_trigger_token,
            found.gitlab_token,
            found.gitlab_job_token,
        ):
            redact.register(value or None)
        return found


class Dispatcher:
    def __init__(
        self,
        transport: Transport | None,
        credentials: Credentials,
        default_branches: Mapping[str, str] | None = None,
        printer: Printer | None = None,
    ) -> None:
        self.transport = transport
        self.credentials = credentials
        # (github | gitlab, repository or project) -> its default branch: the same path can
        # name a GitHub repository and a GitLab project. The event's own repository is known.
        self.branches = {("github", repo): ref for repo, ref in (default_branches or {}).items()}
        self.printer = printer  # a dry run prints the request instead of sending it
        self._lock = threading.Lock()  # issues run concurrently: one lookup per repository

    def start(self, target: Target, values: dict[str, str]) -> Started:
        if target.kind == "github":
            return self._github(target, values)
        return self._gitlab(target, values)

    def started_with(self, target: Target, change_id: str) -> Started | None:
        """The run or pipeline of ``target`` whose title carries ``change_id``, if the
        service shows one: the deployment's own word that this change already started it,
        whatever the issue's record says. Raises when the service cannot be asked."""
        if target.kind == "github":
            url = (
                f"{target.api_url}/repos/{target.place}/actions/workflows/"
                f"{quote(target.workflow, safe='')}/runs?event=workflow_dispatch&per_page=100"
            )
            service, token, headers = "GitHub", self.credentials.github_token, {}
            field, listed, hints = "display_title", "workflow_runs", GITHUB_HINTS
        else:
            if not self.credentials.gitlab_token:
                raise CibridgeError(
                    "GitLab cannot be asked which pipelines carry the change id: a trigger "
                    "token cannot list pipelines",
                    hint="set GITLAB_TOKEN (read_api scope) so the target confirms the record",
                )
            url = (
                f"{target.api_url}/projects/{quote(target.place, safe='')}/pipelines"
                "?per_page=100&order_by=id&sort=desc"
            )
            service, token = "GitLab", ""
            headers = {"PRIVATE-TOKEN": self.credentials.gitlab_token}
            field, listed, hints = "name", "", GITLAB_HINTS
        response = self._send("GET", url, f"{service} runs", token=token, headers=headers)
        _raise_for_refusal(service, f"to list the runs of {target.describe()}", response, hints)
        data = response.json()
        runs = data.get(listed) if listed and isinstance(data, dict) else data
        for run in runs if isinstance(runs, list) else []:
            if isinstance(run, dict) and change_id in str(run.get(field) or ""):
                link = str(run.get("html_url") or run.get("web_url") or "")
                return Started(f"{target.describe()} shows a run carrying {change_id}", link)
        return None

    # -- GitHub ---------------------------------------------------------------------------

    def _github(self, target: Target, inputs: dict[str, str]) -> Started:
        token = self.credentials.github_token
        if not token and self.printer is None:
            raise CibridgeError(
                "GitHub dispatch: no token (GITHUB_TOKEN is not set)",
                hint="pass github-token: ${{ github.token }} (with permissions: actions: write) "
                "or set GITHUB_TOKEN",
            )
        ref = target.ref or self._github_default_branch(target, token)
        url = (
            f"{target.api_url}/repos/{target.place}/actions/workflows/"
            f"{quote(target.workflow, safe='')}/dispatches"
        )
        body = {"ref": ref, "inputs": inputs}
        what = f"{target.place} {target.workflow} on {ref}"
        if self.printer is not None:
            self.printer("POST", url, body)
            return Started(f"would start {what}")
        response = self._send("POST", url, "GitHub dispatch", token=token, json=body)
        _raise_for_refusal("GitHub", f"to start {what}", response, GITHUB_HINTS)
        data = response.json()  # 204: none; 200 (return_run_details): the run
        run = str(data.get("html_url") or "") if isinstance(data, dict) else ""
        return Started(f"started {what}", run)

    def _github_default_branch(self, target: Target, token: str) -> str:
        def ask() -> str:
            if self.transport is None or (self.printer is not None and not token):
                return "<default branch>"  # a dry run without a token cannot ask
            url = f"{target.api_url}/repos/{target.place}"
            response = self._send("GET", url, "GitHub repository", token=token)
            what = f"repository {target.place}"
            return _default_branch_in(response, "GitHub", what, GITHUB_HINTS)

        return self._default_branch(target, ask)

    # -- GitLab ---------------------------------------------------------------------------

    def _gitlab(self, target: Target, values: dict[str, str]) -> Started:
        # GitLab expands $NAME inside the variables a pipeline is started with, and neither
        # API can mark them raw (gitlab-org/gitlab#362539): a Jira summary "$DEPLOY_TOKEN"
        # would become the started pipeline's secret. "$$" is GitLab's literal "$"
        # (docs.gitlab.com/ci/variables/#use-the--character-in-cicd-variables).
        variables = {key: value.replace("$", "$$") for key, value in values.items()}
        project = quote(target.place, safe="")
        creds = self.credentials
        ref = target.ref or self._gitlab_default_branch(target)
        what = f"{target.place} on {ref}"
        trigger = creds.gitlab_trigger_token or (
            "" if creds.gitlab_token else creds.gitlab_job_token
        )
        if trigger or (self.printer is not None and not creds.gitlab_token):
            url = f"{target.api_url}/projects/{project}/trigger/pipeline"
            form = {"token": trigger, "ref": ref}
            form.update({f"variables[{key}]": value for key, value in variables.items()})
            if self.printer is not None:
                self.printer("POST", url, {**form, "token": "***"})
                return Started(f"would start {what}")
            response = self._send(
                "POST",
                url,
                "GitLab trigger",
                data=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        elif creds.gitlab_token:
            url = f"{target.api_url}/projects/{project}/pipeline"
            body = {"ref": ref, "variables": [{"key": k, "value": v} for k, v in variables.items()]}
            if self.printer is not None:
                self.printer("POST", url, body)
                return Started(f"would start {what}")
            response = self._send(
                "POST",
                url,
                "GitLab pipeline",
                json=body,
                headers={"PRIVATE-TOKEN": creds.gitlab_token},
            )
        else:
            raise CibridgeError(
                "GitLab dispatch: no token (GITLAB_TRIGGER_TOKEN, GITLAB_TOKEN or CI_JOB_TOKEN)",
                hint="create a pipeline trigger token (Settings > CI/CD > Pipeline trigger "
                "tokens) and pass it as the gitlab-trigger-token input",
            )
        _raise_for_refusal("GitLab", f"to start {what}", response, GITLAB_HINTS)
        data = response.json()
        url = str(data.get("web_url") or "") if isinstance(data, dict) else ""
        return Started(f"started {what}", url)

    def _gitlab_default_branch(self, target: Target) -> str:
        def ask() -> str:
            token = self.credentials.gitlab_token
            if not token or self.transport is None:
                raise CibridgeError(
                    f"GitLab project {target.place}: no ref to run on",
                    hint="set pipelines.<name>.gitlab.ref (a trigger token cannot read the "
                    "project's default branch)",
                )
            url = f"{target.api_url}/projects/{quote(target.place, safe='')}"
            headers = {"PRIVATE-TOKEN": token}
            response = self._send("GET", url, "GitLab project", headers=headers)
            what = f"project {target.place}"
            return _default_branch_in(response, "GitLab", what, GITLAB_HINTS)

        return self._default_branch(target, ask)

    # -- both -----------------------------------------------------------------------------

    def _default_branch(self, target: Target, ask: Callable[[], str]) -> str:
        """Asked once per repository or project: issues are dispatched concurrently."""
        key = (target.kind, target.place)
        with self._lock:
            if key not in self.branches:
                self.branches[key] = ask()
            return self.branches[key]

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        token: str = "",
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        if self.transport is None:
            raise CibridgeError(f"{what}: no transport (a dry run cannot send)")
        auth = None
        sent = dict(headers or {})
        if token:
            from cibridge.http.auth import Bearer

            auth = Bearer(token)
            sent.update(GITHUB_HEADERS)
        return self.transport.request(
            method, url, json=json, data=data, headers=sent, auth=auth, what=what
        )


def service_message(response: Response) -> str:
    """GitHub's ``message`` (plus its ``errors``), GitLab's ``message`` / ``error``."""
    data = response.json()
    if isinstance(data, dict):
        parts: list[str] = []
        message = data.get("message")
        if isinstance(message, dict):  # GitLab: {"message": {"base": ["Reference not found"]}}
            parts += [
                f"{k}: {'; '.join(map(str, v if isinstance(v, list) else [v]))}"
                for k, v in message.items()
            ]
        elif message:
            parts.append(str(message))
        if data.get("error"):
            parts.append(str(data["error"]))
        for item in data.get("errors") or [] if isinstance(data.get("errors"), list) else []:
            parts.append(str(item.get("message") if isinstance(item, dict) else item))
        if parts:
            return excerpt("; ".join(parts))
    return response.excerpt()


def _default_branch_in(
    response: Response, service: str, what: str, hints: Mapping[int, str]
) -> str:
    """``default_branch`` from a GitHub repository or GitLab project answer."""
    _raise_for_refusal(service, f"to read {what}", response, hints)
    data = response.json()
    branch = str(data.get("default_branch") or "") if isinstance(data, dict) else ""
    if not branch:
        raise failure(
            f"{service}: the answer about {what} has no default_branch: {response.excerpt(200)}",
            hint=f"check the {service} API URL",
        )
    return branch


def _raise_for_refusal(
    service: str, doing: str, response: Response, hints: Mapping[int, str]
) -> None:
    raise_for_refusal(
        response,
        f"{service} refused {doing}",
        hint=hints.get(response.status, ""),
        detail=service_message(response),
    )
