"""The Azure Boards client's faults: what is not Azure DevOps' JSON is an error with the
fix, never "no work items"; the token never follows a redirect to another host."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.clients.azure_devops import BoardsClient, BoardsError
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Basic
from cibridge.http.transport import HttpSettings, Transport

BATCH = "/org/Proj/_apis/wit/workitemsbatch"
PAT = "pat-secret-value-123"


def _client(httpserver: HTTPServer, **settings: object) -> BoardsClient:
    transport = Transport(HttpSettings(retries=0, **settings), sleep=lambda _: None)  # type: ignore[arg-type]
    return BoardsClient(transport, httpserver.url_for("/org"), "Proj", Basic("", PAT))


def test_the_pat_goes_as_basic_with_an_empty_user(httpserver: HTTPServer) -> None:
    seen: list[str] = []

    def answer(request: Request) -> Response:
        seen.append(request.headers["Authorization"])
        return Response(json.dumps({"count": 0, "value": []}), content_type="application/json")

    httpserver.expect_request(BATCH, method="POST").respond_with_handler(answer)
    assert _client(httpserver).work_items([5]) == ({}, [5])
    import base64

    assert seen == ["Basic " + base64.b64encode(f":{PAT}".encode()).decode()]


@pytest.mark.parametrize("status", [401, 203])
def test_a_sign_in_page_is_a_credentials_error(httpserver: HTTPServer, status: int) -> None:
    page = "<!DOCTYPE html><html><title>Azure DevOps Services | Sign In</title></html>"
    httpserver.expect_request(BATCH).respond_with_data(
        page, status=status, content_type="text/html"
    )
    with pytest.raises(BoardsError) as error:
        _client(httpserver).work_items([1])
    assert error.value.exit_code == 1
    assert "AZURE_DEVOPS_EXT_PAT" in error.value.hint and "SYSTEM_ACCESSTOKEN" in error.value.hint
    text = str(error.value)
    assert f"HTTP {status}" in text and ("sign-in page" in text)


def test_a_200_that_is_not_json_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BATCH).respond_with_data("proxy says hi", content_type="text/plain")
    with pytest.raises(BoardsError, match="not the JSON Azure DevOps answers with"):
        _client(httpserver).work_items([1])


def test_a_huge_answer_is_cut_and_said_so(httpserver: HTTPServer) -> None:
    big = json.dumps({"value": [{"id": 1, "fields": {"System.Title": "x" * 5000}}]})
    httpserver.expect_request(BATCH).respond_with_data(big, content_type="application/json")
    with pytest.raises(BoardsError, match="larger than cibridge reads"):
        _client(httpserver, max_body=1000).work_items([1])


def test_a_half_answer_is_a_failure_not_a_crash(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BATCH).respond_with_data(
        '{"value": [{"id": 1', content_type="application/json"
    )
    with pytest.raises(BoardsError, match="not the JSON"):
        _client(httpserver).work_items([1])


def test_a_redirect_to_another_host_is_not_followed_and_the_token_stays(
    httpserver: HTTPServer,
) -> None:
    url = "/org/Proj/_apis/wit/workitemtypes/Bug/states"
    httpserver.expect_request(url).respond_with_response(
        Response(status=302, headers={"Location": "https://elsewhere.example/steal"})
    )
    with pytest.raises(BoardsError) as error:
        _client(httpserver).states("Bug")
    assert "elsewhere.example" in str(error.value) and "302" in str(error.value)
    assert "never sent on to another host" in error.value.hint


def test_unreachable_is_a_failure_for_that_call() -> None:
    transport = Transport(HttpSettings(retries=0, connect_timeout=1), sleep=lambda _: None)
    client = BoardsClient(transport, "http://127.0.0.1:9/org", "Proj", None)
    with pytest.raises(CibridgeError) as error:
        client.work_items([1])
    assert error.value.exit_code == 1


def test_tf401232_is_read_with_its_code(httpserver: HTTPServer) -> None:
    body = {
        "$id": "1",
        "innerException": None,
        "message": "TF401232: Work item 999 does not exist, or you do not have permissions to read it.",
        "typeName": "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemUnauthorizedAccessException, Microsoft.TeamFoundation.WorkItemTracking.Server",
        "typeKey": "WorkItemUnauthorizedAccessException",
        "errorCode": 0,
        "eventId": 3200,
    }
    httpserver.expect_request("/org/Proj/_apis/wit/workitems/999").respond_with_json(
        body, status=404
    )
    with pytest.raises(BoardsError) as error:
        _client(httpserver).work_item(999)
    assert (
        error.value.code == "TF401232"
        and error.value.type_key == "WorkItemUnauthorizedAccessException"
    )
    assert "area path" in error.value.hint


def test_a_retry_after_beyond_the_limit_says_so(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BATCH).respond_with_response(
        Response("{}", status=429, headers={"Retry-After": "3600", "X-RateLimit-Resource": "ATCPU"})
    )
    transport = Transport(HttpSettings(retries=2, max_wait=5), sleep=lambda _: None)
    client = BoardsClient(transport, httpserver.url_for("/org"), "Proj", None)
    with pytest.raises(CibridgeError) as error:
        client.work_items([1])
    assert error.value.exit_code == 1
    assert "HTTP 429" in str(error.value) and "resource ATCPU, Retry-After 3600s" in str(
        error.value
    )
    assert "run again later" in error.value.hint
