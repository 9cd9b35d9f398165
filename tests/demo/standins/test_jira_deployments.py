"""The Jira stand-in's Deployments API, spoken to directly: OAuth only, the Jira Software
OpenAPI document's shape, Jira's list-of-messages errors, and update ordering."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cibridge.demo.standins import JIRA_CLIENT_ID, JIRA_CLIENT_SECRET, StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_EMAIL, JIRA_TOKEN
from tests.conftest import SPECS
from tests.demo.standins.client import Reply, send

PATH = "/jira/rest/deployments/0.1/bulk"
DEPLOYMENT: dict[str, Any] = {
    "schemaVersion": "1.0",
    "deploymentSequenceNumber": 12,
    "updateSequenceNumber": 1000,
    "associations": [{"associationType": "issueIdOrKeys", "values": ["PROJ-1"]}],
    "displayName": "shop #12",
    "url": "https://ci.example.com/runs/12",
    "description": "shop #12 to production",
    "lastUpdated": "2026-11-28T10:00:00Z",
    "state": "successful",
    "pipeline": {"id": "shop", "displayName": "shop", "url": "https://ci.example.com"},
    "environment": {"id": "production", "displayName": "production", "type": "production"},
}


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[StandIns]:
    with StandIns(specs=SPECS) as servers:
        yield servers


def _token(stand_ins: StandIns) -> str:
    form = f"grant_type=client_credentials&client_id={JIRA_CLIENT_ID}&client_secret={JIRA_CLIENT_SECRET}"
    reply = send(
        stand_ins.base,
        "/jira/oauth/token",
        form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return str(reply.json["access_token"])


def _submit(stand_ins: StandIns, *deployments: dict[str, Any], auth: str = "") -> Reply:
    return send(
        stand_ins.base,
        PATH,
        json.dumps({"deployments": list(deployments)}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": auth or f"Bearer {_token(stand_ins)}",
        },
    )


def _with(**changes: Any) -> dict[str, Any]:
    deployment = copy.deepcopy(DEPLOYMENT)
    deployment.update(changes)
    return deployment


def test_an_api_token_is_refused(stand_ins: StandIns) -> None:
    import base64

    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    reply = _submit(stand_ins, DEPLOYMENT, auth=f"Basic {basic}")
    assert reply.status == 401 and reply.json == [
        {"message": "Missing a JWT token, or token is invalid."}
    ]


def test_a_body_outside_the_document_is_a_400_list_of_messages(stand_ins: StandIns) -> None:
    missing_state = _with()
    del missing_state["state"]
    reply = _submit(stand_ins, missing_state, _with(environment={"id": "x"}))
    assert reply.status == 400
    assert isinstance(reply.json, list) and all("message" in item for item in reply.json)
    assert "state" in json.dumps(reply.json)
    assert jira_of(stand_ins).spec_rejections == []  # deployments keep their own record


def test_only_unknown_issues_rejects_that_deployment_alone(stand_ins: StandIns) -> None:
    unknown = _with(
        deploymentSequenceNumber=13,
        associations=[{"associationType": "issueIdOrKeys", "values": ["NOPE-1", "SEC-1"]}],
    )
    reply = _submit(stand_ins, unknown, _with(deploymentSequenceNumber=14))
    assert reply.status == 202
    assert [d["deploymentSequenceNumber"] for d in reply.json["acceptedDeployments"]] == [14]
    (rejected,) = reply.json["rejectedDeployments"]
    assert rejected["key"]["deploymentSequenceNumber"] == 13
    assert "known Jira issue" in rejected["errors"][0]["message"]
    # SEC-1 exists but this account cannot see it: to the caller it is unknown.
    assert reply.json["unknownIssueKeys"] == ["NOPE-1", "SEC-1"]


def test_an_older_update_never_replaces_a_newer_one(stand_ins: StandIns) -> None:
    jira = jira_of(stand_ins)
    newer = _with(deploymentSequenceNumber=20, updateSequenceNumber=2000, state="failed")
    older = _with(deploymentSequenceNumber=20, updateSequenceNumber=1500, state="successful")
    assert _submit(stand_ins, newer).status == 202
    assert _submit(stand_ins, older).status == 202  # accepted, as Jira does, but ignored
    stored = [d for d in jira.deployments if d["deploymentSequenceNumber"] == 20]
    assert [d["state"] for d in stored] == ["failed"]
