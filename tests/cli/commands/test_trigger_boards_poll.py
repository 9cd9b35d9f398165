"""`cibridge trigger --poll` of deployment_triggers.azure_devops: WIQL against a small
Azure DevOps whose every request is checked against Microsoft's REST description
(tests/fixtures/azure-devops/workItemTracking.json: the operation exists for the path and
method, api-version 7.1, a JSON body where the operation consumes one), then the GitHub and
GitLab API stand-ins. A poll and a Service Hook delivery of the same update are one change.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
)
from cibridge.demo.standins.github_api import Workflow
from tests.conftest import FIXTURES

SPEC = json.loads((FIXTURES / "azure-devops" / "workItemTracking.json").read_text("utf-8-sig"))
SAMPLE = FIXTURES / "azure-devops" / "service-hooks" / "workitem.updated.json"
PAT = "azdo-pat-canary-4c1e9d"
TRIGGER_KEY = "7a" * 32
CONFIG = """deployment_triggers:
  azure_devops:
    work_item_state_trigger:
      work_item_types: [Bug, User Story]
      target_state: Approved
      pipeline_mapping: {FabrikamCloud: cloud-deploy}
    tag_trigger:
      tags: [deploy-staging]
      pipeline_mapping: {deploy-staging: staging-deploy}
pipelines:
  cloud-deploy:
    github:
      repository: acme/checkout
      workflow: cloud-deploy.yml
      inputs: {work_item_id: '{{ work_item_id }}', change_id: '{{ change_id }}'}
  staging-deploy:
    gitlab:
      project: acme/checkout
      ref: main
      variables: {DEPLOY_WORK_ITEM_ID: '{{ work_item_id }}', DEPLOY_CHANGE_ID: '{{ change_id }}'}
"""


def _templates() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    found = []
    for template, operations in SPEC["paths"].items():
        variants = {template, template.replace("/{team}", "")}  # team is x-ms-required false
        for variant in variants:
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(variant))
            found.append((re.compile(f"^{pattern}$"), operations))
    return found


TEMPLATES = _templates()


@dataclass
class Item:
    fields: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AzureDevOps:
    """Fabrikam's work items, answering the three calls the poll makes."""

    items: dict[int, Item] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    refuse: int = 0  # answer every request with this status (401: the sign-in HTML page)
    after_query: dict[int, dict[str, Any]] = field(default_factory=dict)  # edits made then

    def add(self, number: int, fields: dict[str, Any], *changes: dict[str, Any]) -> None:
        updates = [
            {"id": n + 1, "workItemId": number, "rev": n + 1, "fields": change}
            for n, change in enumerate(changes)
        ]
        self.items[number] = Item({"System.Id": number, **fields}, updates)

    def _check(self, request: Request) -> None:
        path = request.path
        operations = next((ops for pattern, ops in TEMPLATES if pattern.match(path)), None)
        if operations is None or request.method.lower() not in operations:
            self.rejections.append(f"{request.method} {path}: no such operation")
            return
        if request.args.get("api-version") != "7.1":
            self.rejections.append(f"{path}: api-version {request.args.get('api-version')}")
        operation = operations[request.method.lower()]
        json_body = "application/json" in operation.get("consumes", [])
        if json_body and not (request.content_type or "").startswith("application/json"):
            self.rejections.append(f"{path}: content type {request.content_type}")
        known = {p.get("name") for p in operation.get("parameters", [])} | {"api-version"}
        unknown = set(request.args) - known
        if unknown:
            self.rejections.append(f"{path}: query parameters {sorted(unknown)} not in the spec")

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        self._check(request)
        expected = "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
        if self.refuse or request.headers.get("Authorization") != expected:
            page = "<html><body>Sign in to your account</body></html>"
            return Response(page, status=self.refuse or 401, content_type="text/html")
        if request.path.endswith("/_apis/wit/wiql"):
            query = request.get_json()["query"]
            ids = [n for n, item in self.items.items() if _matches(query, item.fields)]
            for number, edit in self.after_query.items():  # someone edits it meanwhile
                self.items[number].fields.update(edit)
            body = {"queryType": "flat", "workItems": [{"id": n, "url": ""} for n in ids]}
            return _json(body)
        if request.path.endswith("/_apis/wit/workitemsbatch"):
            wanted = request.get_json()
            assert len(wanted["ids"]) <= 200
            value = [
                {"id": n, "rev": len(self.items[n].updates), "fields": self.items[n].fields}
                for n in wanted["ids"]
                if n in self.items
            ]
            return _json({"count": len(value), "value": value})
        found = re.search(r"/workItems/(\d+)/updates$", request.path)
        assert found, request.path
        updates = self.items[int(found.group(1))].updates
        skip, top = int(request.args.get("$skip", 0)), int(request.args.get("$top", 200))
        page = updates[skip : skip + top]
        return _json({"count": len(page), "value": page})


def _json(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _matches(query: str, fields: dict[str, Any]) -> bool:
    """The clauses the poll writes, evaluated as WIQL does: UNDER an area path, CONTAINS a
    tag, IN a list, = a string (all case-insensitive)."""
    where = query.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]
    state = re.search(r"\[System\.State\] = '((?:[^']|'')*)'", where)
    if state and fields["System.State"].casefold() != state.group(1).replace("''", "'").casefold():
        return False
    types = re.search(r"\[System\.WorkItemType\] IN \(([^)]*)\)", where)
    if types and fields["System.WorkItemType"].casefold() not in {
        t.strip().strip("'").casefold() for t in types.group(1).split(",")
    }:
        return False
    paths = re.findall(r"\[System\.AreaPath\] UNDER '((?:[^']|'')*)'", where)
    area = fields["System.AreaPath"].casefold()
    if paths and not any(
        area == p.casefold() or area.startswith(p.casefold() + "\\") for p in paths
    ):
        return False
    tags = re.findall(r"\[System\.Tags\] CONTAINS '((?:[^']|'')*)'", where)
    held = {t.strip().casefold() for t in str(fields.get("System.Tags", "")).split(";")}
    return not tags or any(t.casefold() in held for t in tags)


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


@pytest.fixture
def boards(httpserver: HTTPServer) -> AzureDevOps:
    fake = AzureDevOps()
    httpserver.expect_request(re.compile("^/fabrikam/.*")).respond_with_handler(fake)
    bug = {"System.WorkItemType": "Bug", "System.AreaPath": "FabrikamCloud\\Web"}
    fake.add(
        5,
        {**bug, "System.Title": "Some great new idea!", "System.State": "Approved"},
        {"System.State": {"newValue": "New"}},
        {"System.State": {"oldValue": "New", "newValue": "Approved"}},
        {"System.Title": {"oldValue": "idea", "newValue": "Some great new idea!"}},
    )
    fake.add(
        8,
        {
            **bug,
            "System.Title": "Staging",
            "System.State": "Active",
            "System.Tags": "deploy-staging; ui",
        },
        {"System.State": {"newValue": "New"}},
        {"System.Tags": {"newValue": "ui"}},
        {"System.Tags": {"oldValue": "ui", "newValue": "deploy-staging; ui"}},
    )
    fake.add(9, {**bug, "System.Title": "Not yet", "System.State": "Active"})
    return fake


@pytest.fixture
def env(stand_ins: StandIns, httpserver: HTTPServer, tmp_path: Path) -> dict[str, str]:
    workflows = _github(stand_ins).repositories["acme/checkout"].workflows
    workflows["cloud-deploy.yml"] = Workflow(
        {"work_item_id": True, "change_id": True}, run_name="Deploy ${{ inputs.change_id }}"
    )
    _gitlab(stand_ins).projects[42].workflow_name = "deploy $DEPLOY_CHANGE_ID"
    (tmp_path / "boards.yml").write_text(CONFIG)
    return {
        **stand_ins.env(),
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_TRIGGER_KEY": TRIGGER_KEY,
        "CIBRIDGE_CONFIG": str(tmp_path / "boards.yml"),
        "AZURE_DEVOPS_URL": httpserver.url_for("/").rstrip("/"),
        "AZURE_DEVOPS_ORG": "fabrikam",
        "AZURE_DEVOPS_PROJECT": "Fabrikam Fiber",
        "AZURE_DEVOPS_EXT_PAT": PAT,
    }


def test_the_poll_starts_each_ready_item_once_from_the_update_that_made_it_ready(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    first = cli("trigger", "--poll", "--dispatch", env=env)
    assert first.code == 0, first.all
    assert boards.rejections == []
    [github] = _github(stand_ins).dispatches
    [gitlab] = _gitlab(stand_ins).pipelines
    assert (
        github["inputs"]["work_item_id"] == "5"
        and gitlab["variables"]["DEPLOY_WORK_ITEM_ID"] == "8"
    )
    # 2 WIQL queries, 2 batch reads, one updates page per candidate (5, 8).
    assert "2 candidate change(s) from 2 WIQL queries, 6 request(s)" in first.out
    assert "AB#5: work_item_state_trigger → cloud-deploy" in first.out
    assert "AB#8: tag_trigger → staging-deploy" in first.out
    queries = [r.get_json()["query"] for r in boards.requests if r.path.endswith("/wiql")]
    assert "[System.State] = 'Approved'" in queries[0]
    assert "[System.AreaPath] UNDER 'FabrikamCloud'" in queries[0]
    assert "[System.Tags] CONTAINS 'deploy-staging'" in queries[1]
    raw = [r.environ.get("RAW_URI") or r.environ.get("REQUEST_URI", "") for r in boards.requests]
    assert all(uri.startswith("/fabrikam/Fabrikam%20Fiber/_apis/wit/") for uri in raw), raw
    again = cli("trigger", "--poll", "--dispatch", env=env)
    assert again.code == 0, again.all
    assert len(_github(stand_ins).dispatches) == 1 and len(_gitlab(stand_ins).pipelines) == 1
    assert again.out.count("shows a run carrying cib-") == 2
    assert PAT not in first.all + again.all


def test_a_service_hook_delivery_of_the_polled_update_starts_nothing_more(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Microsoft's recorded delivery is Bug 5's update to rev 2, the one the poll found."""
    assert cli("trigger", "--poll", "--dispatch", env=env).code == 0
    [polled] = _github(stand_ins).dispatches
    hook = tmp_path / "hook.json"
    hook.write_bytes(SAMPLE.read_bytes())
    credentials = "hook:" + "pw-" * 6
    header = "Basic " + base64.b64encode(credentials.encode()).decode()
    argv = ["trigger", "--event-file", str(hook), "--authorization", header]
    done = cli(*argv, "--secret-env", "HOOK", "--dispatch", env={**env, "HOOK": credentials})
    assert done.code == 0, done.all
    assert len(_github(stand_ins).dispatches) == 1
    assert f"shows a run carrying {polled['inputs']['change_id']}" in done.out


def test_an_item_that_left_the_state_after_the_query_is_not_started(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    boards.after_query = {5: {"System.State": "Closed"}}
    done = cli("trigger", "--poll", "--dispatch", env=env)
    assert done.code == 0, done.all
    assert _github(stand_ins).dispatches == []  # Bug 5 is Closed by the time it is read
    assert len(_gitlab(stand_ins).pipelines) == 1  # the tag rule's item is unaffected
    assert "AB#5" not in done.out.split("request(s)")[1]


def test_refused_credentials_are_a_failure_with_the_fix(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    boards.refuse = 401
    done = cli("trigger", "--poll", "--dispatch", env=env)
    assert done.code == 1, done.all
    assert "poll azure_devops: Azure DevOps POST wit/wiql: HTTP 401" in done.all
    assert "AZURE_DEVOPS_EXT_PAT" in done.all
    assert _github(stand_ins).dispatches == []


@pytest.mark.parametrize(
    ("left_out", "complaint"),
    [("AZURE_DEVOPS_PROJECT", "AZURE_DEVOPS_PROJECT"),
     ("AZURE_DEVOPS_EXT_PAT", "no Azure DevOps credentials")],
)  # fmt: skip
def test_the_poll_needs_a_project_and_credentials(
    cli,
    stand_ins: StandIns,
    boards: AzureDevOps,
    env: dict[str, str],
    left_out: str,
    complaint: str,
) -> None:  # type: ignore[no-untyped-def]
    done = cli("trigger", "--poll", env={k: v for k, v in env.items() if k != left_out})
    assert done.code == 2 and complaint in done.all
    assert boards.requests == []


def test_in_azure_pipelines_the_run_names_the_collection_and_project(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str], httpserver: HTTPServer
) -> None:  # type: ignore[no-untyped-def]
    from cibridge.config.loader import Config
    from cibridge.trigger.boards_poll import place

    where = place(Config(env={}), {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/",
                   "SYSTEM_TEAMPROJECT": "Fabrikam Fiber", "SYSTEM_ACCESSTOKEN": "job-token-123"})  # fmt: skip
    assert (where.collection, where.project) == ("https://dev.azure.com/fabrikam", "Fabrikam Fiber")
    assert where.auth.headers() == {"Authorization": "Bearer job-token-123"}
    assert where.url("wiql", **{"$top": 5}) == (
        "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_apis/wit/wiql?api-version=7.1&$top=5"
    )


def test_the_fake_refuses_what_the_description_does_not_have() -> None:
    from werkzeug.test import EnvironBuilder

    def request(method: str, url: str, **kwargs: Any) -> Request:
        return Request(EnvironBuilder(method=method, path=url, **kwargs).get_environ())

    fake = AzureDevOps()
    fake._check(request("POST", "/fabrikam/P/_apis/wit/wiqls?api-version=7.1", json={}))
    fake._check(request("DELETE", "/fabrikam/P/_apis/wit/wiql?api-version=7.1"))
    fake._check(request("POST", "/fabrikam/P/_apis/wit/wiql", json={}))
    fake._check(request("POST", "/fabrikam/P/_apis/wit/wiql?api-version=7.1", data="q"))
    fake._check(request("GET", "/fabrikam/P/_apis/wit/workItems/5/updates?api-version=7.1&top=5"))
    assert len(fake.rejections) == 5, fake.rejections
    fake.rejections.clear()
    fake._check(request("POST", "/fabrikam/P/team/_apis/wit/wiql?api-version=7.1", json={}))
    assert fake.rejections == []


def test_the_designs_azure_devops_block_is_where_the_poll_looks_first(
    cli, stand_ins: StandIns, boards: AzureDevOps, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The seed's block with organization and project, its PAT by token_ref."""
    block = (
        "integration_configs:\n  project_management:\n    azure_devops:\n"
        f"      enabled: true\n      base_url: {env['AZURE_DEVOPS_URL']}\n"
        "      organization: fabrikam\n      project: Fabrikam Fiber\n"
        "      auth: {type: pat, token_ref: azure-devops-pat}\n"
    )
    (tmp_path / "boards.yml").write_text(CONFIG + block)
    given = {k: v for k, v in env.items() if not k.startswith("AZURE_DEVOPS_")}
    done = cli("trigger", "--poll", env={**given, "AZURE_DEVOPS_PAT": PAT})
    assert done.code == 0, done.all
    assert "2 candidate change(s)" in done.out and boards.rejections == []
