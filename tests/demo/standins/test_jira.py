"""The Jira stand-in, driven by cibridge's own Jira client where it can be and by a bare
HTTP client where the client has no call for it (or must not be trusted to send it right).

What is pinned: the state each endpoint changes, the status and body of each documented
error, the ADF and OpenAPI checks (and that they are real checks, not formalities),
token pagination, the removed /search, every way to authenticate, and the faults the
knobs inject.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from cibridge.clients.jira import JiraClient, JiraError
from cibridge.demo.standins import (
    JIRA_CLIENT_ID,
    JIRA_CLIENT_SECRET,
    JIRA_EMAIL,
    JIRA_PAT,
    JIRA_TOKEN,
    Jira,
    StandIns,
    jira_of,
    jira_spec,
)
from cibridge.demo.standins import jira_errors as errors
from cibridge.http import auth, oauth
from cibridge.http.transport import HttpSettings, Transport
from cibridge.jira.adf import to_adf
from tests.conftest import REPO, SPECS
from tests.demo.standins.client import Reply, send

SHARED_SPECS = REPO.parent / "shared" / "specs"
BASIC = {
    "Authorization": "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
}
JSON = {"Content-Type": "application/json"}


@dataclass
class Site:
    stand_ins: StandIns
    jira: Jira
    transport: Transport
    waits: list[float] = field(default_factory=list)

    def client(self, version: int = 3, credentials: auth.Auth | None = None) -> JiraClient:
        credentials = credentials or auth.Basic(JIRA_EMAIL, JIRA_TOKEN)
        return JiraClient(self.transport, self.stand_ins.base + "/jira", credentials, version)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        version: int = 3,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {**BASIC, **JSON, **(headers if headers is not None else {})}
        return send(
            self.stand_ins.base,
            f"/jira/rest/api/{version}/{path}",
            raw,
            method=method,
            headers=sent,
        )


@pytest.fixture
def site(stand_ins: StandIns) -> Iterator[Site]:
    waits: list[float] = []
    with Transport(HttpSettings(retries=3), sleep=waits.append) as transport:
        yield Site(stand_ins, jira_of(stand_ins), transport, waits)


# -- the fixtures are the published documents ------------------------------------------


@pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason="no ../shared beside this clone")
@pytest.mark.parametrize(
    "name",
    ["jira-platform-v3.openapi.json", "jira-software-v3.openapi.json", "adf-v1-full.schema.json"],
)
def test_spec_fixtures_are_byte_for_byte_copies(name: str) -> None:
    assert (SPECS / name).read_bytes() == (SHARED_SPECS / name).read_bytes()


# -- reading issues ---------------------------------------------------------------------


def test_bulkfetch_finds_visible_issues_and_leaves_out_the_rest(site: Site) -> None:
    found, missing = site.client().issues(["PROJ-1", "proj-4", "SEC-1", "NOPE-9"])
    assert sorted(found) == ["PROJ-1", "PROJ-4"]
    assert found["PROJ-4"].status == "Ready for Deployment"
    assert found["PROJ-4"].fix_version_names == ["v1.2.3"] and found["PROJ-4"].project_id == "10000"
    assert missing == ["SEC-1", "NOPE-9"]  # SEC exists, but this account cannot see it
    reply = site.call(
        "POST", "issue/bulkfetch", {"issueIdsOrKeys": ["SEC-1"], "fields": ["summary"]}
    )
    assert reply.json == {"expand": "schema,names", "issues": [], "issueErrors": []}


def test_bulkfetch_refuses_more_than_100_keys_and_none(site: Site) -> None:
    many = site.call(
        "POST", "issue/bulkfetch", {"issueIdsOrKeys": [f"PROJ-{n}" for n in range(101)]}
    )
    empty = site.call("POST", "issue/bulkfetch", {"issueIdsOrKeys": []})
    assert (many.status, many.json["errorMessages"]) == (400, [errors.BULK_LIMIT])
    assert (empty.status, empty.json["errorMessages"]) == (400, [errors.BULK_EMPTY])


def test_issue_by_key_and_the_404_for_one_nobody_may_see(site: Site) -> None:
    issue = site.client().issue("OPS-2")
    assert (issue.summary, issue.issue_type, issue.labels) == (
        "Scale the worker pool",
        "Story",
        ["deploy-to-prod"],
    )
    hidden = site.call("GET", "issue/SEC-1")
    assert (hidden.status, hidden.json) == (404, errors.body([errors.ISSUE_NOT_FOUND]))
    assert hidden.headers["Content-Type"] == "application/json;charset=UTF-8"
    only = site.call("GET", "issue/PROJ-1?fields=summary,-summary,labels,nonsense")
    assert only.json["fields"] == {"labels": ["backend"]}


def test_data_center_search_by_keys_refuses_a_missing_key_as_jira_does(site: Site) -> None:
    client = site.client(2, auth.Bearer(JIRA_PAT))
    found, missing = client.issues(["PROJ-1", "NOPE-1", "OPS-3"])
    assert sorted(found) == ["OPS-3", "PROJ-1"] and missing == ["NOPE-1"]
    refused = site.call("POST", "search", {"jql": "key in (PROJ-1, NOPE-1)"}, version=2)
    assert refused.json["errorMessages"] == [
        "An issue with key 'NOPE-1' does not exist for field 'key'."
    ]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_removed_search_answers_410_with_jiras_message(site: Site, method: str) -> None:
    reply = site.call(
        method, "search?jql=project%3DPROJ", {"jql": "project = PROJ"} if method == "POST" else None
    )
    assert (reply.status, reply.json) == (410, errors.body([errors.SEARCH_REMOVED]))


@pytest.mark.parametrize(
    ("jql", "keys"),
    [
        (
            'project = PROJ AND status = "Ready for Deployment" AND issuetype in (Story, Bug)',
            ["PROJ-4"],
        ),
        ("labels = deploy-to-prod", ["OPS-2", "PROJ-4"]),
        ('fixVersion = "v1.2.3"', ["PROJ-2", "PROJ-4"]),
        ("key in (PROJ-1, ops-1) ORDER BY key ASC", ["OPS-1", "PROJ-1"]),
        ("project = OPS AND status != Deployed AND labels not in (deploy-to-prod)", ["OPS-1"]),
        ('key in (PROJ-1, OPS-1) AND updated >= "2024-05-01"', ["OPS-1", "PROJ-1"]),
        ('key in (PROJ-1, OPS-1) AND created < "2024/05/01 09:00"', []),
        ("key in (PROJ-1, OPS-1) AND updated >= -1d", []),  # the seed is older than a day
    ],
)
def test_search_jql_supports_the_shapes_cibridge_sends(
    site: Site, jql: str, keys: list[str]
) -> None:
    reply = site.call("GET", f"search/jql?jql={quote(jql)}&fields=summary")
    assert reply.status == 200, reply.json
    assert sorted(i["key"] for i in reply.json["issues"]) == keys
    assert reply.json["isLast"] is True and "nextPageToken" not in reply.json


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = SEC", "The value 'SEC' does not exist for the field 'project'."),
        ('status = "Shipped"', "The value 'Shipped' does not exist for the field 'status'."),
        ("ORDER BY key", errors.UNBOUNDED),
        ("labels = a OR labels = b", "stand-in: only clauses joined by AND are supported"),
        (
            "fixVersion in unreleasedVersions()",
            "stand-in: only literal lists after 'in' are supported",
        ),
        (
            "updated >= yesterday",
            "Date value 'yesterday' for field 'updated' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'.",
        ),
        ("updated ~ -1d", "stand-in: the operator '~' on dates is not supported"),
        ("created >= startOfDay()", "stand-in: date functions (startOfDay()) are not supported"),
        (
            'created >= "-99999999999w"',
            "stand-in: the period '-99999999999w' is outside the years 1 to 9999",
        ),
    ],
)
def test_search_jql_refuses_what_jira_refuses_and_what_it_cannot_do(
    site: Site, jql: str, message: str
) -> None:
    reply = site.call("POST", "search/jql", {"jql": jql})
    assert (reply.status, reply.json["errorMessages"]) == (400, [message])


def test_an_issue_created_now_is_updated_within_the_last_hour(site: Site) -> None:
    key = site.jira.add_issue("OPS", "fresh", issue_type="Bug")
    for jql, found in (
        ("updated >= -1h", [key]),
        ('updated < "-1h"', []),
        ('created > "-4w 2d"', [key]),
    ):
        jql = f"project = OPS AND key = {key} AND {jql}"
        reply = site.call("GET", f"search/jql?jql={quote(jql)}&fields=summary")
        assert reply.status == 200, reply.json
        assert [i["key"] for i in reply.json["issues"]] == found, jql


def test_search_jql_pages_through_120_issues_with_next_page_tokens(site: Site) -> None:
    made = {
        site.jira.add_issue("OPS", f"bulk {n}", issue_type="Bug", labels=["bulk"])
        for n in range(120)
    }
    jql = quote("project = OPS AND labels = bulk")
    seen, sizes, token = [], [], ""
    while True:
        reply = site.call(
            "GET",
            f"search/jql?jql={jql}&fields=key&maxResults=50"
            + (f"&nextPageToken={token}" if token else ""),
        )
        page = reply.json
        sizes.append(len(page["issues"]))
        seen += [issue["id"] for issue in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert sizes == [50, 50, 20] and len(set(seen)) == 120
    assert page["issues"][0] == {"id": page["issues"][0]["id"]}  # "key" alone asks for no field
    assert {site.jira.issue(k).summary for k in made} == {f"bulk {n}" for n in range(120)}
    # With fields asked for, Jira shortens the page: a client must follow the token.
    capped = site.call(
        "POST", "search/jql", {"jql": "labels = bulk", "fields": ["summary"], "maxResults": 500}
    )
    assert len(capped.json["issues"]) == 100 and capped.json["nextPageToken"]
    foreign = site.call(
        "POST",
        "search/jql",
        {"jql": "labels = other", "nextPageToken": capped.json["nextPageToken"]},
    )
    assert (foreign.status, foreign.json["errorMessages"]) == (400, [errors.BAD_PAGE_CURSOR])


# -- transitions --------------------------------------------------------------------------


def test_transitions_show_fields_only_when_expanded(site: Site) -> None:
    plain = site.call("GET", "issue/PROJ-1/transitions").json["transitions"]
    expanded = site.client().transitions("PROJ-1")
    assert [(t["id"], t["to"]["name"]) for t in plain] == [
        ("21", "In Review"),
        ("31", "Done"),
        ("61", "To Do"),
    ]
    assert all("fields" not in t for t in plain)
    done = next(t for t in expanded if t["id"] == "31")
    assert done["fields"]["resolution"]["required"] is True
    assert [v["name"] for v in done["fields"]["resolution"]["allowedValues"]][:2] == [
        "Done",
        "Won't Do",
    ]
    assert done["fields"]["customfield_10010"]["schema"]["items"] == "option"
    assert site.client().transitions("LOCK-1") == []  # no Transition permission: an empty list


def test_transition_moves_the_issue_with_the_screens_fields(site: Site) -> None:
    site.client().transition(
        "PROJ-3",
        "31",
        {"resolution": {"name": "Won't Do"}, "customfield_10010": [{"value": "production"}]},
    )
    done = site.jira.issue("PROJ-3")
    assert (done.status, done.resolution) == ("Done", "Won't Do")
    assert done.fields == {"customfield_10010": [{"value": "production"}]}
    site.client().transition("PROJ-3", "71", {})  # Reopen clears the resolution
    assert (site.jira.issue("PROJ-3").status, site.jira.issue("PROJ-3").resolution) == (
        "To Do",
        None,
    )


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"transition": {"id": "51"}},
            400,
            errors.body([errors.TRANSITION_NOT_VALID.format(id="51")]),
        ),
        (
            {"transition": {"id": "31"}},
            400,
            errors.body(errors={"resolution": "Resolution is required."}),
        ),
        (
            {"transition": {"id": "21"}, "fields": {"resolution": {"name": "Done"}}},
            400,
            errors.body(errors={"resolution": errors.NOT_ON_SCREEN.format(field="resolution")}),
        ),
        (
            {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Fixed"}}},
            400,
            errors.body(errors={"resolution": "Resolution 'Fixed' is not valid"}),
        ),
        (
            # an option is chosen by "value" or "id", never by "name"
            {
                "transition": {"id": "31"},
                "fields": {
                    "resolution": {"name": "Done"},
                    "customfield_10010": [{"name": "staging"}],
                },
            },
            400,
            errors.body(errors={"customfield_10010": "Option id 'null' is not valid"}),
        ),
    ],
)
def test_a_transition_jira_would_refuse_is_refused_and_changes_nothing(
    site: Site, body: dict[str, Any], status: int, expected: dict[str, Any]
) -> None:
    reply = site.call("POST", "issue/PROJ-1/transitions", body)
    assert (reply.status, reply.json) == (status, expected)
    assert site.jira.issue("PROJ-1").status == "In Progress"


def test_the_client_fills_an_option_field_as_jira_expects(site: Site) -> None:
    from cibridge.jira.transitions import choose, required_fields

    client = site.client()
    chosen = choose(client.issue("PROJ-1"), client.transitions("PROJ-1"), "Done")
    fields = required_fields("PROJ-1", chosen, "Done", {"customfield_10010": "staging"})
    client.transition("PROJ-1", str(chosen["id"]), fields)
    assert site.jira.issue("PROJ-1").fields == {"customfield_10010": [{"value": "staging"}]}


def test_a_screen_can_be_made_to_require_one_more_field(site: Site) -> None:
    site.jira.require_field("Done", "customfield_10020", "Change ticket")
    with pytest.raises(JiraError) as refused:
        site.client().transition("PROJ-1", "31", {"resolution": {"name": "Done"}})
    assert refused.value.status == 400 and "customfield_10020: Change ticket is required." in str(
        refused.value
    )
    site.client().transition(
        "PROJ-1", "31", {"resolution": {"name": "Done"}, "customfield_10020": "CHG-7"}
    )
    assert site.jira.issue("PROJ-1").status == "Done"


# -- comments -----------------------------------------------------------------------------


def test_an_adf_comment_with_properties_is_stored_and_listed(site: Site) -> None:
    body = to_adf("**Deployed** `v1.2.3` to [production](https://ci.example/run/7)\n\n- one\n- two")
    site.client().add_comment("PROJ-1", body, {"run": "7", "environment": "production"})
    [listed] = site.client().comments("PROJ-1")
    assert listed["body"] == body
    assert listed["properties"] == [
        {"key": "cibridge", "value": {"run": "7", "environment": "production"}}
    ]
    plain = site.call("GET", "issue/PROJ-1/comment").json["comments"]
    assert "properties" not in plain[0]  # only with expand=properties
    assert site.jira.issue("PROJ-1").comments[0].properties == {
        "cibridge": {"run": "7", "environment": "production"}
    }


@pytest.mark.parametrize(
    "body",
    [
        "a wiki-markup string sent to v3",
        {"type": "doc", "version": 1, "content": [{"type": "text", "text": "outside a paragraph"}]},
        {
            "type": "doc",
            "version": 1,
            "content": [
                {
                    "type": "paragraph",
                    "content": [{"type": "text", "text": "x", "marks": [{"type": "blink"}]}],
                }
            ],
        },
        {"type": "doc", "version": 2, "content": []},
    ],
)
def test_a_v3_comment_that_is_not_adf_is_refused(site: Site, body: Any) -> None:
    reply = site.call("POST", "issue/PROJ-1/comment", {"body": body})
    assert (reply.status, reply.json) == (
        400,
        errors.body(errors={"comment": errors.COMMENT_NOT_VALID}),
    )
    assert site.jira.issue("PROJ-1").comments == []


def test_without_the_schema_adf_is_still_checked_for_its_structure() -> None:
    assert jira_spec.adf_problems(None, to_adf("fine")) == []
    assert jira_spec.adf_problems(
        None, {"type": "doc", "version": 1, "content": [{"type": "text", "text": "x"}]}
    )
    assert jira_spec.adf_problems(None, "text")


def test_data_center_comments_are_strings(site: Site) -> None:
    client = site.client(2, auth.Bearer(JIRA_PAT))
    client.add_comment("OPS-1", "h3. Deployed\n*v1.2.3* to production", {"run": "8"})
    assert site.jira.issue("OPS-1").comments[0].body == "h3. Deployed\n*v1.2.3* to production"
    adf = site.call(
        "POST",
        "issue/OPS-1/comment",
        {"body": to_adf("x")},
        version=2,
        headers={"Authorization": f"Bearer {JIRA_PAT}"},
    )
    empty = site.call(
        "POST",
        "issue/OPS-1/comment",
        {"body": "  "},
        version=2,
        headers={"Authorization": f"Bearer {JIRA_PAT}"},
    )
    assert (adf.status, adf.json["errorMessages"]) == (400, [errors.V2_NOT_A_STRING])
    assert (empty.status, empty.json["errors"]) == (400, {"comment": errors.COMMENT_EMPTY})


# -- links, versions, properties ------------------------------------------------------


def test_remote_links_upsert_by_global_id(site: Site) -> None:
    link = {"globalId": "cibridge:run-7", "object": {"url": "https://ci/7", "title": "run 7"}}
    first = site.call("POST", "issue/PROJ-2/remotelink", link)
    again = site.call(
        "POST",
        "issue/PROJ-2/remotelink",
        {**link, "object": {"url": "https://ci/7", "title": "run 7, retried"}},
    )
    other = site.call(
        "POST", "issue/PROJ-2/remotelink", {"object": {"url": "https://ci/8", "title": "no id"}}
    )
    assert (first.status, again.status, other.status) == (201, 200, 201)
    assert first.json["id"] == again.json["id"] != other.json["id"]
    assert first.json["self"].endswith(f"/rest/api/3/issue/PROJ-2/remotelink/{first.json['id']}")
    links = site.jira.issue("PROJ-2").remote_links
    assert [(x["globalId"], x["object"]["title"]) for x in links] == [
        ("cibridge:run-7", "run 7, retried"),
        (None, "no id"),
    ]
    listed = site.call("GET", "issue/PROJ-2/remotelink").json
    assert [x.get("globalId") for x in listed] == ["cibridge:run-7", None]
    site.client().remote_link("PROJ-2", "cibridge:run-7", "https://ci/7", "run 7", "summary")
    assert len(site.jira.issue("PROJ-2").remote_links) == 2


def test_remote_link_errors(site: Site) -> None:
    # v3 requests meet the OpenAPI check first; v2 shows the stand-in's own Jira body.
    untitled = site.call(
        "POST", "issue/PROJ-2/remotelink", {"object": {"url": "https://ci/7"}}, version=2
    )
    spec_refused = site.call("POST", "issue/PROJ-2/remotelink", {"object": {"url": "https://ci/7"}})
    long_id = site.call(
        "POST",
        "issue/PROJ-2/remotelink",
        {"globalId": "g" * 256, "object": {"url": "u", "title": "t"}},
    )
    assert (untitled.status, untitled.json["errors"]) == (400, {"title": "'title' is required."})
    assert (
        spec_refused.status == 400
        and "'title' is a required property" in spec_refused.json["errorMessages"][0]
    )
    assert (long_id.status, long_id.json["errors"]) == (
        400,
        {"globalId": errors.GLOBAL_ID_TOO_LONG},
    )


def test_issue_links_accept_duplicates_silently_and_check_the_type(site: Site) -> None:
    client = site.client()
    client.issue_link("PROJ-1", "PROJ-2", "Blocks")
    client.issue_link("PROJ-1", "PROJ-2", "Blocks")
    assert [(x.type, x.inward, x.outward) for x in site.jira.links] == [
        ("Blocks", "PROJ-1", "PROJ-2")
    ]
    with pytest.raises(JiraError) as unknown:
        client.issue_link("PROJ-1", "PROJ-2", "Causes")
    assert unknown.value.status == 404 and errors.NO_LINK_TYPE.format(name="Causes") in str(
        unknown.value
    )
    hidden = site.call(
        "POST",
        "issueLink",
        {
            "type": {"name": "Relates"},
            "inwardIssue": {"key": "PROJ-1"},
            "outwardIssue": {"key": "SEC-1"},
        },
    )
    assert hidden.status == 404


def test_versions_are_created_once_released_and_set_as_fix_versions(site: Site) -> None:
    client = site.client()
    created = client.create_version("10000", "v2.0.0")
    assert site.jira.version("PROJ", "v2.0.0") is not None
    with pytest.raises(JiraError) as duplicate:
        client.create_version("10000", "V2.0.0")
    assert duplicate.value.status == 400 and errors.VERSION_EXISTS in str(duplicate.value)
    client.release_version(created["id"], "v2.0.0", "2024-06-30")
    released = site.jira.version("PROJ", "v2.0.0")
    assert released is not None and (released.released, released.release_date) == (
        True,
        "2024-06-30",
    )
    client.add_fix_version("PROJ-1", "v2.0.0")
    client.add_fix_version("PROJ-1", "v2.0.0")
    assert site.jira.issue("PROJ-1").fix_versions == ["v2.0.0"]
    assert [v["name"] for v in client.versions("PROJ")] == ["v1.2.2", "v1.2.3", "v2.0.0"]
    with pytest.raises(JiraError) as unknown:
        client.add_fix_version("OPS-1", "v2.0.0")  # PROJ's version, not OPS's
    assert unknown.value.status == 400 and "fixVersions: Version name 'v2.0.0' is not valid" in str(
        unknown.value
    )
    missing = site.call("PUT", "version/99999", {"released": True})
    assert (missing.status, missing.json["errorMessages"]) == (
        404,
        [errors.NO_VERSION.format(id="99999")],
    )


def test_editing_labels_and_fix_versions_and_nothing_else(site: Site) -> None:
    edit = {
        "update": {
            "labels": [{"add": "hotfix"}, {"remove": "backend"}],
            "fixVersions": [{"add": {"name": "v1.2.3"}}],
        }
    }
    assert site.call("PUT", "issue/PROJ-1", edit).status == 204
    edited = site.jira.issue("PROJ-1")
    assert (edited.labels, edited.fix_versions) == (["hotfix"], ["v1.2.3"])
    other = site.call(
        "PUT",
        "issue/PROJ-1",
        {"fields": {"assignee": {"accountId": "x"}}, "update": {"labels": [{"edit": "x"}]}},
    )
    assert (other.status, other.json["errors"]) == (
        400,
        {
            "assignee": errors.NOT_ON_SCREEN.format(field="assignee"),
            "labels": "Field 'labels' does not support operation 'edit'",
        },
    )
    assert site.jira.issue("PROJ-1").labels == ["hotfix"]


def test_issue_properties_round_trip_and_the_32_kb_limit(site: Site) -> None:
    client = site.client()
    assert client.property("PROJ-4", "cibridge.dispatched") is None
    missing = site.call("GET", "issue/PROJ-4/properties/cibridge.dispatched")
    assert (missing.status, missing.json["errorMessages"]) == (
        404,
        [errors.PROPERTY_MISSING.format(key="cibridge.dispatched")],
    )
    record = {"run": "https://ci/run/9", "rule": "issue_status_trigger"}
    first = site.call("PUT", "issue/PROJ-4/properties/cibridge.dispatched", record)
    again = site.call("PUT", "issue/PROJ-4/properties/cibridge.dispatched", record)
    assert (first.status, again.status) == (201, 200)
    assert client.property("PROJ-4", "cibridge.dispatched") == record
    fits = site.call("PUT", "issue/PROJ-4/properties/big", json.dumps("x" * 32_766).encode())
    too_big = site.call("PUT", "issue/PROJ-4/properties/big", json.dumps("x" * 32_767).encode())
    assert fits.status == 201
    assert (too_big.status, too_big.json["errorMessages"]) == (400, [errors.PROPERTY_TOO_LONG])
    assert len(json.dumps(site.jira.issue("PROJ-4").properties["big"])) == 32_768


# -- the OpenAPI check ----------------------------------------------------------------------


def test_requests_the_openapi_description_refuses_are_400s_and_recorded(site: Site) -> None:
    assert (SPECS / jira_spec.DOCUMENTS["platform"]).is_file(), "the spec fixture is missing"
    wrong_type = site.call("POST", "issue/bulkfetch", {"issueIdsOrKeys": "PROJ-1"})
    unknown_field = site.call(
        "POST",
        "issueLink",
        {
            "type": {"name": "Relates"},
            "inwardIssue": {"key": "PROJ-1"},
            "outwardIssue": {"key": "PROJ-2"},
            "colour": "red",
        },
    )
    bad_date = site.call("PUT", "version/10101", {"released": True, "releaseDate": "30/06/2024"})
    assert wrong_type.status == unknown_field.status == bad_date.status == 400
    assert (
        "body.issueIdsOrKeys: 'PROJ-1' is not of type 'array'"
        in wrong_type.json["errorMessages"][0]
    )
    assert "'colour' was unexpected" in unknown_field.json["errorMessages"][0]
    assert "'30/06/2024' is not a 'date'" in bad_date.json["errorMessages"][0]
    assert [r.split(":")[0] for r in site.jira.spec_rejections] == [
        "POST /rest/api/3/issue/bulkfetch",
        "POST /rest/api/3/issueLink",
        "PUT /rest/api/3/version/10101",
    ]
    unreleased = site.jira.version("PROJ", "v1.2.3")
    assert site.jira.links == [] and unreleased is not None and not unreleased.released


def test_the_client_sends_nothing_the_openapi_description_refuses(site: Site) -> None:
    client = site.client()
    client.issues(["PROJ-1"])
    client.transitions("PROJ-1")
    client.transition(
        "PROJ-1",
        "31",
        {"resolution": {"name": "Done"}, "customfield_10010": [{"value": "staging"}]},
    )
    client.add_comment("PROJ-1", to_adf("done"), {"run": "1"})
    client.comments("PROJ-1")
    client.remote_link("PROJ-1", "g", "https://ci/1", "run", "summary")
    client.issue_link("PROJ-1", "PROJ-2", "Relates")
    version = client.create_version("10000", "v3.0.0")
    client.release_version(version["id"], "v3.0.0", "2024-07-01")
    client.add_fix_version("PROJ-1", "v3.0.0")
    client.set_property("PROJ-1", "cibridge", {"a": 1})
    client.property("PROJ-1", "cibridge")
    assert site.jira.spec_rejections == []
    assert jira_spec.TIMINGS.parse is not None and jira_spec.TIMINGS.validations >= 12


def test_without_the_spec_only_the_stand_ins_own_checks_apply(site: Site) -> None:
    site.jira.state.specs = None
    reply = site.call("POST", "issue/bulkfetch", {"issueIdsOrKeys": "PROJ-1"})
    assert (reply.status, reply.json["errorMessages"]) == (400, [errors.BULK_EMPTY])
    assert site.jira.spec_rejections == []


# -- who may call ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "authorization", "status"),
    [
        (3, None, 401),
        (3, "Basic " + base64.b64encode(f"{JIRA_EMAIL}:wrong".encode()).decode(), 401),
        (3, f"Bearer {JIRA_PAT}", 401),  # Cloud takes no Data Center token
        (2, f"Bearer {JIRA_PAT}", 200),
        (2, BASIC["Authorization"], 200),
        (3, "Bearer standin-oauth-access-1", 401),  # never issued
    ],
)
def test_credentials(site: Site, version: int, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    reply = send(
        site.stand_ins.base, f"/jira/rest/api/{version}/issue/PROJ-1", method="GET", headers=headers
    )
    assert reply.status == status
    if status == 401:
        assert reply.json == {"message": errors.UNAUTHENTICATED, "status-code": 401}
        assert "WWW-Authenticate" in reply.headers
        assert ("X-Seraph-LoginReason" in reply.headers) == bool(authorization)


def test_the_client_reports_refused_credentials(site: Site) -> None:
    with pytest.raises(JiraError) as refused:
        site.client(credentials=auth.Basic(JIRA_EMAIL, "expired")).issue("PROJ-1")
    assert refused.value.status == 401 and "Client must be authenticated" in str(refused.value)


def test_an_oauth_token_is_fetched_once_and_renewed_once_after_expiry(site: Site) -> None:
    token_url = site.stand_ins.base + "/jira/oauth/token"
    credentials = oauth.OAuth2ClientCredentials(
        token_url, JIRA_CLIENT_ID, JIRA_CLIENT_SECRET, transport=site.transport
    )
    client = site.client(credentials=credentials)
    assert [client.issue(k).status for k in ("PROJ-1", "OPS-1", "OPS-3")] == [
        "In Progress",
        "In Progress",
        "Deployed",
    ]
    assert site.jira.token_requests == 1
    site.jira.tokens.revoke_all()
    assert client.issue("PROJ-1").key == "PROJ-1"
    assert site.jira.token_requests == 2


def test_the_token_endpoint_refuses_a_wrong_client_as_atlassian_does(site: Site) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = send(
        site.stand_ins.base,
        "/jira/oauth/token",
        f"grant_type=client_credentials&client_id={JIRA_CLIENT_ID}&client_secret=nope".encode(),
        headers=form,
    )
    grant = send(site.stand_ins.base, "/jira/oauth/token", b"grant_type=password", headers=form)
    right = send(
        site.stand_ins.base,
        "/jira/oauth/token",
        f"grant_type=client_credentials&client_id={JIRA_CLIENT_ID}&client_secret={JIRA_CLIENT_SECRET}".encode(),
        headers=form,
    )
    assert (wrong.status, wrong.json) == (
        401,
        {"error": "access_denied", "error_description": "Unauthorized"},
    )
    assert (grant.status, grant.json["error"]) == (400, "unsupported_grant_type")
    assert (
        right.status == 200
        and right.json["token_type"] == "Bearer"
        and right.json["expires_in"] == 3600
    )
    assert site.jira.token_requests == 3
    credentials = oauth.OAuth2ClientCredentials(
        site.stand_ins.base + "/jira/oauth/token", JIRA_CLIENT_ID, "nope", transport=site.transport
    )
    with pytest.raises(Exception, match="access_denied: Unauthorized"):
        site.client(credentials=credentials).issue("PROJ-1")


# -- injected faults ------------------------------------------------------------------------


def test_throttling_answers_429_with_retry_after_and_a_reset_time(site: Site) -> None:
    site.jira.knobs.throttle(1, retry_after=2)
    reply = site.call("GET", "issue/PROJ-1")
    assert (reply.status, reply.json) == (429, errors.body([errors.RATE_LIMITED]))
    assert reply.headers["Retry-After"] == "2"
    reset = time.strptime(reply.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%SZ")
    assert time.mktime(reset) - time.mktime(time.gmtime()) >= 2
    site.jira.knobs.throttle(2, retry_after=1)
    assert site.client().issue("PROJ-1").key == "PROJ-1"  # the transport waited and retried
    assert site.waits == [1.0, 1.0]


def test_a_storm_on_one_issue_leaves_the_others_alone(site: Site) -> None:
    site.jira.knobs.storm("PROJ-1", 2, status=409)
    client = site.client()
    with pytest.raises(JiraError) as conflict:
        client.add_comment("PROJ-1", to_adf("x"), {})
    assert conflict.value.status == 409 and errors.CONFLICT in str(conflict.value)
    client.add_comment("PROJ-2", to_adf("y"), {})
    assert site.call("GET", "issue/PROJ-1").status == 409
    assert site.call("GET", "issue/PROJ-1").status == 200  # the storm is over
    assert len(site.jira.issue("PROJ-2").comments) == 1 and site.jira.issue("PROJ-1").comments == []


def test_a_forbidden_project_refuses_writes_with_403(site: Site) -> None:
    site.jira.knobs.forbid("OPS")
    reply = site.call("POST", "issue/OPS-1/comment", {"body": to_adf("x")})
    assert (reply.status, reply.json) == (403, errors.body([errors.FORBIDDEN["comment"]]))
    assert site.client().issue("OPS-1").status == "In Progress"  # reading is still allowed
    with pytest.raises(JiraError) as forbidden:
        site.client().transition("OPS-1", "21", {})
    assert forbidden.value.status == 403
    site.client().add_comment("PROJ-1", to_adf("x"), {})


def test_latency_is_per_request_and_overlaps_across_connections(site: Site) -> None:
    site.jira.knobs.latency = 0.2
    started = time.perf_counter()
    threads = [
        threading.Thread(target=site.call, args=("GET", f"issue/PROJ-{n}")) for n in range(1, 7)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed < 0.9, elapsed  # one after another would take 1.2 s


def test_concurrent_writes_to_one_issue_all_land(site: Site) -> None:
    client = site.client()
    threads = [
        threading.Thread(
            target=client.add_comment, args=("PROJ-5", to_adf(f"note {n}"), {"n": str(n)})
        )
        for n in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    comments = site.jira.issue("PROJ-5").comments
    assert sorted(c.properties["cibridge"]["n"] for c in comments) == sorted(
        str(n) for n in range(12)
    )
    assert len({c.id for c in comments}) == 12


# -- the service as the registry sees it ----------------------------------------------------


def test_env_points_cibridge_at_v3_under_the_prefix(stand_ins: StandIns) -> None:
    assert {k: v for k, v in stand_ins.env().items() if k.startswith("JIRA_")} == {
        "JIRA_BASE_URL": f"{stand_ins.base}/jira",
        "JIRA_USER_EMAIL": JIRA_EMAIL,
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "JIRA_API_VERSION": "3",
    }


def test_each_stand_ins_starts_from_a_fresh_seed() -> None:
    with StandIns() as first:
        jira_of(first).add_issue("PROJ", "only here")
        jira_of(first).knobs.forbid("PROJ")
    with StandIns() as second:
        assert "PROJ-6" not in jira_of(second).state.issues
        assert jira_of(second).knobs.forbidden == set()


def test_unknown_resources_and_methods(site: Site) -> None:
    nowhere = site.call("GET", "dashboard")
    wrong_method = site.call("DELETE", "issue/PROJ-1")
    no_bulkfetch_on_data_center = site.call(
        "POST", "issue/bulkfetch", {"issueIdsOrKeys": ["PROJ-1"]}, version=2
    )
    assert nowhere.status == 404 and nowhere.json["errorMessages"][0].startswith("stand-in:")
    assert (wrong_method.status, wrong_method.headers["Allow"]) == (405, "GET, PUT")
    # Data Center has no bulkfetch: the path lands on issue/{key}, which takes no POST.
    assert no_bulkfetch_on_data_center.status == 405
    assert site.call("GET", "search/jql?jql=labels%3Dx", version=2).status == 404
