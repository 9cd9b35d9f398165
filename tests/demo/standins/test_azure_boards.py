"""The Azure Boards stand-in holds cibridge to Microsoft's published description: every
request checked (path, method, api-version, content type, JSON Patch shape), and the
answers shaped like Azure DevOps' own (recorded examples, real error bodies)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cibridge.demo.standins import AZURE_DEVOPS_BEARER, AZURE_DEVOPS_PAT, StandIns, boards_of
from cibridge.demo.standins.azure_boards import STATES
from tests.conftest import FIXTURES, REPO
from tests.demo.standins.client import Reply, send

FIXTURE = FIXTURES / "azure-devops"
SHARED = REPO.parent / "shared" / "specs" / "azure-devops-7.1"
WIT = "/azure-devops/fabrikam/Fabrikam-Fiber/_apis/wit"
BASIC = {"Authorization": "Basic " + base64.b64encode(f":{AZURE_DEVOPS_PAT}".encode()).decode()}


def _send(
    stand_ins: StandIns,
    target: str,
    body: object = None,
    *,
    method: str = "GET",
    kind: str = "application/json",
    auth: dict[str, str] | None = None,
) -> Reply:
    raw = None if body is None else json.dumps(body).encode()
    headers = dict(BASIC if auth is None else auth)
    if raw is not None:
        headers["Content-Type"] = kind
    return send(stand_ins.base, target, raw, method=method, headers=headers)


def test_the_package_data_is_the_fixture_specs_part() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "azure_boards_spec.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not SHARED.is_dir(), reason="only where ../shared holds the published copy")
def test_the_fixture_is_microsofts_published_description() -> None:
    assert (FIXTURE / "workItemTracking.json").read_bytes() == (
        SHARED / "workItemTracking.json"
    ).read_bytes()
    for example in (FIXTURE / "examples").iterdir():
        found = list(SHARED.glob(f"examples/*/{example.name}"))
        assert found and found[0].read_bytes() == example.read_bytes(), example.name


def test_type_states_answer_as_the_recorded_example(stand_ins: StandIns) -> None:
    recorded = json.loads(
        (FIXTURE / "examples" / "GET__workitem_type_states.json").read_text(encoding="utf-8-sig")
    )["responses"]["200"]["body"]
    answer = _send(stand_ins, f"{WIT}/workitemtypes/Bug/states?api-version=7.1")
    assert answer.status == 200
    assert answer.json == recorded  # names, colours, categories and count
    assert [s["name"] for s in recorded["value"]] == [n for n, _ in STATES["Bug"]]


@pytest.mark.parametrize(
    ("target", "method", "body", "kind", "problem"),
    [
        (f"{WIT}/workitems/100", "GET", None, "", "api-version is missing"),
        (f"{WIT}/workitems/100?api-version=7.0", "GET", None, "", "api-version 7.0 is not 7.1"),
        (f"{WIT}/workItems/100/comments?api-version=7.1", "GET", None, "",
         "api-version 7.1 is not 7.1-preview.4"),
        (f"{WIT}/workitems/100?api-version=7.1", "PATCH", [{"op": "add", "path": "/fields/System.Tags", "value": "x"}],
         "application/json", "content type application/json is not application/json-patch+json"),
        (f"{WIT}/workitems/100?api-version=7.1", "PATCH", [{"op": "set", "path": "/rev", "value": 1}],
         "application/json-patch+json", "body[0].op: 'set' is not one of"),
        (f"{WIT}/workitems/100?api-version=7.1", "PATCH", {"op": "add"},
         "application/json-patch+json", "body is not an array"),
        (f"{WIT}/workitems/100?api-version=7.1", "PATCH", [{"op": "add", "path": "/fields/System.Tags"}],
         "application/json-patch+json", "add needs a value"),
        (f"{WIT}/workitems/100?api-version=7.1", "PATCH",
         [{"op": "add", "path": "/relations/-", "value": {"rel": "ArtifactLink", "url": "https://x"}}],
         "application/json-patch+json", "must be a vstfs:/// URI"),
        (f"{WIT}/workitems/100?api-version=7.1", "DELETE", None, "", "DELETE is not an operation"),
        (f"{WIT}/workitemz/100?api-version=7.1", "GET", None, "", "no operation at"),
        (f"{WIT}/workItems/100/comments?api-version=7.1-preview.4", "POST", {"text": "x"},
         "application/json", "query parameter format is required"),
        (f"{WIT}/workItems/100/comments?api-version=7.1-preview.4&format=rtf", "POST", {"text": "x"},
         "application/json", "format='rtf' is not one of"),
        (f"{WIT}/workitemsbatch?api-version=7.1", "POST", {"ids": list(range(1, 202))},
         "application/json", "201 ids (1 to 200 allowed)"),
        (f"{WIT}/workitemsbatch?api-version=7.1", "POST", {"ids": ["1"]},
         "application/json", "is not an integer"),
    ],
)  # fmt: skip
def test_requests_outside_the_description_are_refused(
    stand_ins: StandIns, target: str, method: str, body: object, kind: str, problem: str
) -> None:
    answer = _send(stand_ins, target, body, method=method, kind=kind)
    assert answer.status == 400
    assert problem in answer.json["message"], answer.json["message"]
    assert problem in boards_of(stand_ins).spec_rejections[-1]


def test_a_missing_item_answers_tf401232_as_azure_devops_does(stand_ins: StandIns) -> None:
    answer = _send(stand_ins, f"{WIT}/workitems/999?api-version=7.1")
    assert answer.status == 404
    assert answer.json == {
        "$id": "1",
        "innerException": None,
        "message": "TF401232: Work item 999 does not exist, or you do not have permissions to read it.",
        "typeName": "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemUnauthorizedAccessException, Microsoft.TeamFoundation.WorkItemTracking.Server",
        "typeKey": "WorkItemUnauthorizedAccessException",
        "errorCode": 0,
        "eventId": 3200,
    }


def test_a_batch_omits_missing_items_as_null(stand_ins: StandIns) -> None:
    body = {"ids": [100, 999], "$expand": "relations", "errorPolicy": "omit"}
    answer = _send(stand_ins, f"{WIT}/workitemsbatch?api-version=7.1", body, method="POST")
    assert answer.status == 200 and answer.json["value"][1] is None
    assert answer.json["value"][0]["fields"]["System.WorkItemType"] == "User Story"
    assert answer.json["value"][0]["relations"] == []
    refused = _send(
        stand_ins, f"{WIT}/workitemsbatch?api-version=7.1", {"ids": [999]}, method="POST"
    )
    assert refused.status == 404  # errorPolicy fail (the default)


def test_the_test_rev_refuses_a_stale_update(stand_ins: StandIns) -> None:
    boards = boards_of(stand_ins)
    boards.edit(100, **{"System.Title": "changed in the browser"})
    ops = [
        {"op": "test", "path": "/rev", "value": 1},
        {"op": "add", "path": "/fields/System.State", "value": "Closed"},
    ]
    answer = _send(
        stand_ins,
        f"{WIT}/workitems/100?api-version=7.1",
        ops,
        method="PATCH",
        kind="application/json-patch+json",
    )
    assert answer.status == 412 and answer.json["message"].startswith("TF26071")
    assert boards.item(100).state == "Active"


def test_a_state_its_type_lacks_is_a_rule_error(stand_ins: StandIns) -> None:
    ops = [{"op": "add", "path": "/fields/System.State", "value": "Closed"}]
    answer = _send(
        stand_ins,
        f"{WIT}/workitems/101?api-version=7.1",
        ops,
        method="PATCH",
        kind="application/json-patch+json",
    )
    assert answer.status == 400
    assert answer.json["message"].startswith("TF401320: Rule Error for field State. Error code:")


@pytest.mark.parametrize("status", [401, 203])
def test_a_wrong_credential_gets_the_html_sign_in_page(stand_ins: StandIns, status: int) -> None:
    boards_of(stand_ins).knobs.sign_in_status = status
    wrong = {"Authorization": "Basic " + base64.b64encode(b":not-the-pat").decode()}
    answer = _send(stand_ins, f"{WIT}/workitems/100?api-version=7.1", auth=wrong)
    assert answer.status == status and answer.headers["Content-Type"].startswith("text/html")
    assert b"Sign In" in answer.body
    bearer = {"Authorization": f"Bearer {AZURE_DEVOPS_BEARER}"}
    assert _send(stand_ins, f"{WIT}/workitems/100?api-version=7.1", auth=bearer).status == 200


def test_throttling_names_the_resource(stand_ins: StandIns) -> None:
    boards_of(stand_ins).knobs.throttle_next = 1
    answer = _send(stand_ins, f"{WIT}/workitems/100?api-version=7.1")
    assert answer.status == 429 and answer.json["message"].startswith("TF400733")
    assert (
        answer.headers["Retry-After"] == "1" and answer.headers["X-RateLimit-Resource"] == "ATCPU"
    )


def test_the_fixture_keeps_its_license_and_source() -> None:
    assert "MIT License" in (FIXTURE / "LICENSE").read_text()
    source = (FIXTURE / "SOURCE").read_text()
    assert "MicrosoftDocs/vsts-rest-api-specs" in source and "TF401320" in source


def test_it_works_without_the_fixtures(tmp_path: Path) -> None:
    """The demo runs from a wheel: the stand-in's spec is its own package data."""
    with StandIns(specs=None) as stand_ins:
        assert _send(stand_ins, f"{WIT}/workitems/100").status == 400
        assert _send(stand_ins, f"{WIT}/workitems/100?api-version=7.1").status == 200
