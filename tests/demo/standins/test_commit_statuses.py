"""The GitHub and GitLab stand-ins take commit statuses as the services do: states, a
context / name of at most 255 characters, GitHub's 140-character description and 1,000
statuses per sha and context, auth, and the services' own error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from cibridge.demo.standins import GITHUB_API_TOKEN, GITLAB_API_TOKEN, StandIns
from tests.demo.standins.client import send

SHA = "0123456789abcdef0123456789abcdef01234567"
GITHUB = f"/github-api/repos/acme/checkout/statuses/{SHA}"
GITHUB_LIST = f"/github-api/repos/acme/checkout/commits/{SHA}/statuses"
GITHUB_AUTH = {"Authorization": f"Bearer {GITHUB_API_TOKEN}", "Content-Type": "application/json"}
GITLAB = f"/gitlab/api/v4/projects/42/statuses/{SHA}"
GITLAB_LIST = f"/gitlab/api/v4/projects/acme%2Fcheckout/repository/commits/{SHA}/statuses"
GITLAB_AUTH = {"PRIVATE-TOKEN": GITLAB_API_TOKEN, "Content-Type": "application/json"}


def test_a_github_status_is_201_and_listed_newest_first_on_both_routes(
    stand_ins: StandIns,
) -> None:
    for state in ("pending", "success"):
        body = {
            "state": state,
            "context": "cibridge/rollback/prod",
            "target_url": "https://x.example",
        }
        reply = send(stand_ins.base, GITHUB, body, headers=GITHUB_AUTH)
        assert reply.status == 201 and reply.json["state"] == state
    for path in (GITHUB_LIST, GITHUB):
        listed = send(stand_ins.base, path, method="GET", headers=GITHUB_AUTH).json
        assert [s["state"] for s in listed] == ["success", "pending"]
    paged = send(
        stand_ins.base, GITHUB_LIST + "?per_page=1&page=2", method="GET", headers=GITHUB_AUTH
    )
    assert [s["state"] for s in paged.json] == ["pending"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"state": "failed"}, "state", "state is not included in the list"),
        ({"state": "success", "context": "c" * 256}, "context",
         "context is too long (maximum is 255 characters)"),
        ({"state": "success", "description": "d" * 141}, "description",
         "description is too long (maximum is 140 characters)"),
        ({"state": "success", "target_url": "ftp://x"}, "target_url",
         "target_url must use http(s) scheme"),
    ],
)  # fmt: skip
def test_github_refuses_what_github_refuses(
    stand_ins: StandIns, body: dict[str, Any], field: str, message: str
) -> None:
    reply = send(stand_ins.base, GITHUB, body, headers=GITHUB_AUTH)
    assert reply.status == 422 and reply.json["message"] == "Validation Failed"
    (error,) = reply.json["errors"]
    assert (error["field"], error["message"]) == (field, message)


def test_github_takes_a_255_character_context_and_1000_statuses_per_context(
    stand_ins: StandIns,
) -> None:
    from cibridge.demo.standins import GitHubApi

    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    context = "c" * 255
    reply = send(
        stand_ins.base, GITHUB, {"state": "success", "context": context}, headers=GITHUB_AUTH
    )
    assert reply.status == 201
    github.statuses.statuses *= 1000  # the same status, 1,000 times: the limit reached
    again = send(
        stand_ins.base,
        GITHUB,
        {"state": "success", "context": context.upper()},
        headers=GITHUB_AUTH,
    )
    assert again.status == 422  # contexts are case-insensitive: the same context
    assert again.json["errors"][0]["message"] == (
        "This SHA and context has reached the maximum number of statuses."
    )


def test_github_statuses_need_a_token_and_a_commit(stand_ins: StandIns) -> None:
    body = {"state": "success"}
    assert send(stand_ins.base, GITHUB, body).status == 401
    bad = send(stand_ins.base, GITHUB.replace(SHA, "not-a-sha"), body, headers=GITHUB_AUTH)
    assert bad.status == 422 and bad.json["message"] == "No commit found for SHA: not-a-sha"


def test_a_gitlab_status_is_201_and_listed_by_name(stand_ins: StandIns) -> None:
    for name, state in (
        ("cibridge/rollback/prod", "running"),
        ("cibridge/rollback/prod", "success"),
        ("other", "failed"),
    ):
        body = {"state": state, "name": name, "ref": "main", "target_url": "https://x.example"}
        reply = send(stand_ins.base, GITLAB, body, headers=GITLAB_AUTH)
        assert reply.status == 201 and reply.json["status"] == state
    latest = send(
        stand_ins.base,
        GITLAB_LIST + "?name=cibridge%2Frollback%2Fprod",
        method="GET",
        headers=GITLAB_AUTH,
    )
    assert [s["status"] for s in latest.json] == ["success"]  # the latest of the name
    every = send(
        stand_ins.base,
        GITLAB_LIST + "?name=cibridge%2Frollback%2Fprod&all=true",
        method="GET",
        headers=GITLAB_AUTH,
    )
    assert [s["status"] for s in every.json] == ["success", "running"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "answer"),
    [
        ({"state": "success"}, {"Content-Type": "application/json"}, 401,
         {"message": "401 Unauthorized"}),
        ({"name": "x"}, GITLAB_AUTH, 400, {"error": "state is missing"}),
        ({"state": "failure"}, GITLAB_AUTH, 400, {"error": "state does not have a valid value"}),
        ({"state": "success", "name": "n" * 256}, GITLAB_AUTH, 400,
         {"message": {"name": ["is too long (maximum is 255 characters)"]}}),
    ],
)  # fmt: skip
def test_gitlab_refuses_what_gitlab_refuses(
    stand_ins: StandIns, body: dict[str, Any], headers: dict[str, str], status: int, answer: Any
) -> None:
    reply = send(stand_ins.base, GITLAB, body, headers=headers)
    assert (reply.status, reply.json) == (status, answer)
