"""A Jira that answers 200 with something that is not Jira's JSON (an SSO login page, a
proxy, the wrong URL) fails the request with the fix, never reads as "no issues"."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.clients.jira import JiraClient, JiraError
from cibridge.http.transport import HttpSettings, Transport


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


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


# -- Data Center's key search: which refusals mean "no such issue" -------------------------


def _dc_issue(key: str) -> dict[str, object]:
    return {"id": "1", "key": key, "fields": {"summary": key, "status": {"name": "To Do"}}}


@pytest.mark.parametrize(
    "message",
    [
        "Field 'key' does not exist or you do not have permission to view it.",
        "Error in the JQL Query: The character '%' is a reserved JQL character.",
        "An issue with key 'OTHER-1' does not exist for field 'key'.",  # not a key we asked for
    ],
)
def test_a_refused_key_search_is_the_lookup_failing_not_unknown_keys(
    httpserver: HTTPServer, message: str
) -> None:
    httpserver.expect_request("/rest/api/2/search", method="POST").respond_with_json(
        {"errorMessages": [message], "errors": {}}, status=400
    )
    with pytest.raises(JiraError) as error:
        _client(httpserver, version=2).issues(["PROJ-1", "PROJ-2"])
    assert str(error.value).startswith("Jira could not look up PROJ-1, PROJ-2: Jira search:")
    assert "HTTP 400" in str(error.value) and message in str(error.value)
    assert "no issue was checked or changed" in error.value.hint
    assert error.value.exit_code == 1


def test_keys_jira_says_do_not_exist_are_left_out_and_the_rest_asked_again(
    httpserver: HTTPServer,
) -> None:
    asked: list[str] = []

    def answer(request: Request) -> Response:
        jql = request.get_json()["jql"]
        asked.append(jql)
        if "NOPE-9" in jql:
            text = "An issue with key 'NOPE-9' does not exist for field 'key'."
            return _json({"errorMessages": [text], "errors": {}}, 400)
        if "bad key" in jql:
            text = "The issue key 'bad key' for field 'key' is invalid."
            return _json({"errorMessages": [text], "errors": {}}, 400)
        return _json({"startAt": 0, "total": 1, "issues": [_dc_issue("PROJ-1")]})

    httpserver.expect_request("/rest/api/2/search", method="POST").respond_with_handler(answer)
    found, missing = _client(httpserver, version=2).issues(["PROJ-1", "NOPE-9", "bad key"])
    assert list(found) == ["PROJ-1"] and missing == ["NOPE-9", "bad key"]
    assert asked == [
        'key in ("PROJ-1", "NOPE-9", "bad key")',
        'key in ("PROJ-1", "bad key")',
        'key in ("PROJ-1")',
    ]


def test_issues_bulkfetch_failed_to_return_make_no_key_missing(httpserver: HTTPServer) -> None:
    # The issue Jira failed to return is named by id, so PROJ-2 may exist: not "not found".
    httpserver.expect_request("/rest/api/3/issue/bulkfetch").respond_with_json(
        {
            "issues": [_dc_issue("PROJ-1")],
            "issueErrors": [{"id": "10002", "errorMessage": "Timed out fetching the issue"}],
        }
    )
    with pytest.raises(JiraError) as error:
        _client(httpserver).issues(["PROJ-1", "PROJ-2"])
    assert "1 issue(s) could not be returned (Timed out fetching the issue)" in str(error.value)
    assert "run the step again" in error.value.hint and error.value.exit_code == 1
