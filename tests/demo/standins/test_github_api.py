"""The GitHub API stand-in refuses what GitHub refuses, with GitHub's bodies."""

from __future__ import annotations

import pytest

from cibridge.demo.standins import GITHUB_API_TOKEN, GitHubApi, StandIns
from tests.demo.standins.client import send

DISPATCH = "/github-api/repos/acme/checkout/actions/workflows/deploy.yml/dispatches"
AUTH = {"Authorization": f"Bearer {GITHUB_API_TOKEN}", "Content-Type": "application/json"}


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def test_a_dispatch_is_204_and_shows_up_as_a_run(stand_ins: StandIns) -> None:
    body = {"ref": "main", "inputs": {"issue_key": "PROJ-1", "environment": "prod"}}
    reply = send(stand_ins.base, DISPATCH, body, headers=AUTH)
    assert (reply.status, reply.body) == (204, b"")
    runs = send(
        stand_ins.base, "/github-api/repos/acme/checkout/actions/runs", method="GET", headers=AUTH
    )
    (run,) = runs.json["workflow_runs"]
    assert run["event"] == "workflow_dispatch" and run["path"] == ".github/workflows/deploy.yml"
    assert _github(stand_ins).dispatches[0]["inputs"]["issue_key"] == "PROJ-1"
    repo = send(stand_ins.base, "/github-api/repos/acme/checkout", method="GET", headers=AUTH)
    assert repo.json["default_branch"] == "main"


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "message"),
    [
        (DISPATCH, {"ref": "main"}, {}, 401, "Requires authentication"),
        (DISPATCH, {"ref": "main"}, {"Authorization": "Bearer nope"}, 401, "Bad credentials"),
        (
            DISPATCH,
            {"ref": "main"},
            {**AUTH, "X-GitHub-Api-Version": "2020-01-01"},
            400,
            "Invalid API version: 2020-01-01",
        ),
        (DISPATCH.replace("acme/checkout", "acme/other"), {"ref": "main"}, AUTH, 404, "Not Found"),
        (DISPATCH.replace("deploy.yml", "nope.yml"), {"ref": "main"}, AUTH, 404, "Not Found"),
        (
            DISPATCH,
            {"inputs": {"issue_key": "A-1"}},
            AUTH,
            422,
            'Invalid request.\n\n"ref" wasn\'t supplied.',
        ),
        (
            DISPATCH,
            {"ref": "gone", "inputs": {"issue_key": "A-1"}},
            AUTH,
            422,
            "No ref found for: gone",
        ),
        (
            DISPATCH,
            {"ref": "main", "inputs": {"issue_key": "A-1", "x": "1"}},
            AUTH,
            422,
            'Unexpected inputs provided: ["x"]',
        ),
        (
            DISPATCH,
            {"ref": "main", "inputs": {"issue_key": 1}},
            AUTH,
            422,
            "Invalid request.\n\nFor 'properties/inputs', values must be strings.",
        ),
        (
            DISPATCH,
            {"ref": "main", "inputs": {}},
            AUTH,
            422,
            "Required input 'issue_key' not provided",
        ),
        (
            DISPATCH.replace("deploy.yml", "ci.yml"),
            {"ref": "main"},
            AUTH,
            422,
            "Workflow does not have 'workflow_dispatch' trigger",
        ),
    ],
)
def test_refusals_carry_githubs_message(
    stand_ins: StandIns,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    reply = send(stand_ins.base, path, body, headers=headers)
    assert (reply.status, reply.json["message"]) == (status, message)
    assert reply.json["documentation_url"].startswith("https://docs.github.com/")
    assert _github(stand_ins).dispatches == []


def test_a_body_that_is_not_json(stand_ins: StandIns) -> None:
    reply = send(stand_ins.base, DISPATCH, b"ref=main", headers=AUTH)
    assert (reply.status, reply.json["message"]) == (400, "Problems parsing JSON")
