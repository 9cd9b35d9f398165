"""The Jira stand-in's history, expansions and releasedVersions(), which trigger relies on."""

from __future__ import annotations

import base64

from cibridge.demo.standins import JIRA_EMAIL, JIRA_TOKEN, StandIns, jira_of
from tests.demo.standins.client import send

AUTH = {
    "Authorization": "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode(),
    "Content-Type": "application/json",
}
API = "/jira/rest/api/3"


def test_a_transition_and_a_label_edit_are_recorded_and_paged(stand_ins: StandIns) -> None:
    base = stand_ins.base
    assert (
        send(
            base, f"{API}/issue/PROJ-3/transitions", {"transition": {"id": "41"}}, headers=AUTH
        ).status
        == 204
    )
    edit = {"update": {"labels": [{"add": "deploy-to-prod"}]}}
    assert send(base, f"{API}/issue/PROJ-3", edit, method="PUT", headers=AUTH).status == 204
    page = send(base, f"{API}/issue/PROJ-3/changelog?maxResults=1", method="GET", headers=AUTH).json
    assert (page["total"], page["isLast"], len(page["values"])) == (2, False, 1)
    (item,) = page["values"][0]["items"]
    assert (item["field"], item["fromString"], item["toString"]) == (
        "status",
        "In Review",
        "Ready for Deployment",
    )
    rest = send(base, f"{API}/issue/PROJ-3/changelog?startAt=1", method="GET", headers=AUTH).json
    assert rest["values"][0]["items"][0]["toString"] == "deploy-to-prod"
    failed = send(
        base, f"{API}/issue/PROJ-3/transitions", {"transition": {"id": "11"}}, headers=AUTH
    )
    assert failed.status == 400
    assert (
        send(base, f"{API}/issue/PROJ-3/changelog", method="GET", headers=AUTH).json["total"] == 2
    )
    assert jira_of(stand_ins).spec_rejections == []


def test_expand_changelog_and_properties_on_get_and_search(stand_ins: StandIns) -> None:
    base = stand_ins.base
    jira = jira_of(stand_ins)
    jira.state.issues["PROJ-4"].properties["cibridge.trigger"] = {"dispatched": {}}
    send(base, f"{API}/issue/PROJ-3/transitions", {"transition": {"id": "41"}}, headers=AUTH)
    got = send(
        base,
        f"{API}/issue/PROJ-3?fields=status&properties=cibridge.trigger&expand=changelog",
        method="GET",
        headers=AUTH,
    ).json
    assert got["properties"] == {} and got["changelog"]["total"] == 1
    body = {
        "jql": 'status = "Ready for Deployment" AND project = PROJ',
        "fields": ["status"],
        "properties": ["cibridge.trigger"],
        "expand": "changelog",
    }
    found = send(base, f"{API}/search/jql", body, headers=AUTH).json["issues"]
    by_key = {i["key"]: i for i in found}
    assert by_key["PROJ-4"]["properties"] == {"cibridge.trigger": {"dispatched": {}}}
    assert (
        by_key["PROJ-3"]["changelog"]["histories"][0]["items"][0]["toString"]
        == "Ready for Deployment"
    )
    assert jira.spec_rejections == []


def test_released_versions_function(stand_ins: StandIns) -> None:
    body = {"jql": "fixVersion in releasedVersions()", "fields": ["fixVersions"]}
    found = send(stand_ins.base, f"{API}/search/jql", body, headers=AUTH).json["issues"]
    assert [i["key"] for i in found] == ["PROJ-5"]  # v1.2.2 is the one released version
