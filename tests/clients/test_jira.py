"""A Jira that answers 200 with something that is not Jira's JSON (an SSO login page, a
proxy, the wrong URL) fails the request with the fix, never reads as "no issues"."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.jira import JiraClient, JiraError
from cibridge.http.transport import HttpSettings, Transport


def _client(httpserver: HTTPServer, version: int = 3) -> JiraClient:
    transport = Transport(HttpSettings(retries=0))
    return JiraClient(transport, httpserver.url_for("/"), None, version)


def test_a_login_page_for_bulkfetch_is_an_error_not_unknown_keys(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rest/api/3/issue/bulkfetch").respond_with_data(
        "<html><title>Log in with SSO</title></html>", content_type="text/html"
    )
    with pytest.raises(JiraError) as error:
        _client(httpserver).issues(["PROJ-1"])
    assert "bulkfetch: HTTP 200 but not the JSON Jira answers with" in str(error.value)
    assert "Log in with SSO" in str(error.value)
    assert "JIRA_BASE_URL is the Jira site itself" in error.value.hint
    assert error.value.exit_code == 1


@pytest.mark.parametrize(
    ("path", "body", "call", "message"),
    [
        ("/rest/api/3/issue/bulkfetch", ["PROJ-1"], "issues", "not the JSON"),
        ("/rest/api/3/issue/bulkfetch", {"issues": "PROJ-1"}, "issues", "'issues' is not a list"),
        ("/rest/api/3/issue/PROJ-1/transitions", {"transitions": {}}, "transitions",
         "'transitions' is not a list"),
        ("/rest/api/3/issue/PROJ-1/comment", [], "comments", "not the JSON"),
        ("/rest/api/3/project/PROJ/versions", {"values": []}, "versions", "a JSON dict"),
    ],
)  # fmt: skip
def test_answers_of_the_wrong_shape_are_errors(
    httpserver: HTTPServer, path: str, body: object, call: str, message: str
) -> None:
    httpserver.expect_request(path).respond_with_json(body)
    client = _client(httpserver)
    calls = {
        "issues": lambda: client.issues(["PROJ-1"]),
        "transitions": lambda: client.transitions("PROJ-1"),
        "comments": lambda: client.comments("PROJ-1"),
        "versions": lambda: client.versions("PROJ"),
    }
    with pytest.raises(JiraError, match=message):
        calls[call]()


def test_an_empty_transition_list_is_still_a_list(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rest/api/3/issue/PROJ-1/transitions").respond_with_json(
        {"expand": "transitions", "transitions": []}
    )
    assert _client(httpserver).transitions("PROJ-1") == []


def test_null_fields_read_as_empty_not_as_the_word_none() -> None:
    from cibridge.clients.jira import Issue

    issue = Issue.parse(
        {
            "key": "PROJ-1",
            "id": None,
            "fields": {
                "status": {"name": None},
                "project": {"key": "PROJ", "id": None},
                "fixVersions": [{"name": None}, {"name": "v1"}],
                "labels": None,
            },
        }
    )
    assert (issue.id, issue.status, issue.project_id) == ("", "", "")
    assert issue.fix_version_names == ["", "v1"] and issue.labels == []
