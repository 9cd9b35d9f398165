"""The GitLab API stand-in: trigger tokens, job tokens and API tokens, GitLab's errors."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from cibridge.demo.standins import (
    GITLAB_API_TOKEN,
    GITLAB_JOB_TOKEN,
    GITLAB_TRIGGER_TOKEN,
    GitLabApi,
    StandIns,
)
from tests.demo.standins.client import send

TRIGGER = "/gitlab/api/v4/projects/42/trigger/pipeline"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


def _form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def test_trigger_token_form_with_variables(stand_ins: StandIns) -> None:
    body = urlencode(
        {"token": GITLAB_TRIGGER_TOKEN, "ref": "main", "variables[DEPLOY_ISSUE_KEY]": "PROJ-1"}
    )
    reply = send(stand_ins.base, TRIGGER, body.encode(), headers=FORM)
    assert reply.status == 201 and reply.json["web_url"].endswith(f"/pipelines/{reply.json['id']}")
    (created,) = _gitlab(stand_ins).pipelines
    assert created["source"] == "trigger" and created["variables"] == {"DEPLOY_ISSUE_KEY": "PROJ-1"}


def test_project_by_path_and_json_body(stand_ins: StandIns) -> None:
    path = "/gitlab/api/v4/projects/acme%2Fcheckout/trigger/pipeline"
    body = {"token": GITLAB_JOB_TOKEN, "ref": "release", "variables": {"A": "1"}}
    reply = send(stand_ins.base, path, body, headers={"Content-Type": "application/json"})
    assert reply.status == 201
    assert _gitlab(stand_ins).pipelines[0]["source"] == "pipeline"


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        (TRIGGER, _form(ref="main"), 400, {"error": "token is missing"}),
        (TRIGGER, _form(token=GITLAB_TRIGGER_TOKEN), 400, {"error": "ref is missing"}),
        (TRIGGER, _form(token="glptt-wrong", ref="main"), 404, {"message": "404 Not Found"}),
        (
            TRIGGER.replace("42", "43"),
            _form(token=GITLAB_TRIGGER_TOKEN, ref="main"),
            404,
            {"message": "404 Not Found"},
        ),
        (
            TRIGGER,
            _form(token=GITLAB_TRIGGER_TOKEN, ref="gone"),
            400,
            {"message": {"base": ["Reference not found"]}},
        ),
    ],
)
def test_trigger_refusals(
    stand_ins: StandIns, path: str, body: bytes, status: int, answer: object
) -> None:
    reply = send(stand_ins.base, path, body, headers=FORM)
    assert (reply.status, reply.json) == (status, answer)
    assert _gitlab(stand_ins).pipelines == []


def test_create_pipeline_needs_an_api_token(stand_ins: StandIns) -> None:
    path = "/gitlab/api/v4/projects/42/pipeline"
    body = {"ref": "main", "variables": [{"key": "A", "value": "1"}]}
    refused = send(stand_ins.base, path, body)
    assert (refused.status, refused.json) == (401, {"message": "401 Unauthorized"})
    made = send(stand_ins.base, path, body, headers={"PRIVATE-TOKEN": GITLAB_API_TOKEN})
    assert made.status == 201 and _gitlab(stand_ins).pipelines[0]["source"] == "api"
    project = send(
        stand_ins.base,
        "/gitlab/api/v4/projects/42",
        method="GET",
        headers={"PRIVATE-TOKEN": GITLAB_API_TOKEN},
    )
    assert project.json["default_branch"] == "main"
