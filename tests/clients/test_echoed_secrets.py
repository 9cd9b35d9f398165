"""A server that echoes the request's credentials inside a long error answer: every excerpt
of the answer is masked before it is cut, so no part of a secret reaches a message (L1).

The echo repeats the secret after one separator, and each test runs twice, the second time
shifted by 17 characters (about half a copy of a 34 to 40 character secret): whatever an
excerpt's limit and whatever the message says before it, in one of the two runs the cut
leaves 8 or more characters of a copy before it."""

from __future__ import annotations

import base64
import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.clients.jira import JiraClient, JiraError
from cibridge.clients.pipelines import Credentials, Dispatcher
from cibridge.clients.prometheus import PrometheusClient, QueryError
from cibridge.clients.targets import Target
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Basic, Bearer
from cibridge.http.oauth import OAuth2ClientCredentials
from cibridge.http.transport import HttpSettings, Transport
from cibridge.report.outputs import cell, code, inline

JIRA_API_TOKEN = "ATATT3xFfGF0kLmNoPqRsTuVwXyZ012345"  # 34 characters, as in the finding
GITHUB_TOKEN = "ghs_Zq8mN2vB7cX1lK4jH6gF3dS5aP9oI0uY"
CLIENT_SECRET = "oauth-client-secret-9f8e7d6c5b4a3210"


@pytest.fixture(params=["", "_" * 17], ids=["aligned", "shifted"])
def shift(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _echo(secret: str, shift: str) -> str:
    return shift + f",{secret}" * 20


def _secret_in(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        return base64.b64decode(header[6:]).decode().partition(":")[2]
    if header.startswith("Bearer "):
        return header[7:]
    return request.form.get("client_secret", "")


def _leaks(secret: str, output: str) -> list[str]:
    return [secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in output]


def _shown(error: CibridgeError) -> str:
    """The error as cibridge prints it: everything printed goes through the redactor."""
    return redact.redact(f"{error.message}\n{error.hint}")


@pytest.mark.parametrize("shape", ["errorMessages", "errors", "text"])
def test_jira_echoing_the_api_token_shows_none_of_it(
    httpserver: HTTPServer, shape: str, shift: str
) -> None:
    def answer(request: Request) -> Response:
        echoed = _echo(_secret_in(request), shift)
        bodies = {
            "errorMessages": json.dumps({"errorMessages": [f"bad request {echoed}"]}),
            "errors": json.dumps({"errors": {"summary": echoed}}),
            "text": f"<html>Denied: {echoed}</html>",
        }
        return Response(bodies[shape], status=400, content_type="application/json")

    httpserver.expect_request("/rest/api/3/issue/PROJ-1/transitions").respond_with_handler(answer)
    client = JiraClient(
        Transport(HttpSettings(retries=0)),
        httpserver.url_for("/"),
        Basic("ci@example.com", JIRA_API_TOKEN),
        3,
    )
    with pytest.raises(JiraError) as error:
        client.transitions("PROJ-1")
    assert "HTTP 400" in error.value.message
    assert _leaks(JIRA_API_TOKEN, _shown(error.value)) == []


@pytest.mark.parametrize("status", [422, 200])
def test_github_echoing_its_token_shows_none_of_it(
    httpserver: HTTPServer, status: int, shift: str
) -> None:
    def answer(request: Request) -> Response:
        body = {"message": f"Bad credentials {_echo(_secret_in(request), shift)}"}
        return Response(json.dumps(body), status=status, content_type="application/json")

    path = "/repos/acme/checkout"
    httpserver.expect_request(path, method="GET").respond_with_handler(answer)
    httpserver.expect_request(f"{path}/actions/workflows/ci.yml/dispatches").respond_with_handler(
        answer
    )
    dispatcher = Dispatcher(
        Transport(HttpSettings(retries=0)), Credentials.from_env({"GITHUB_TOKEN": GITHUB_TOKEN})
    )
    github = Target("github", httpserver.url_for("").rstrip("/"), "acme/checkout", "ci.yml")
    with pytest.raises(CibridgeError) as error:
        dispatcher.start(github, {})
    assert _leaks(GITHUB_TOKEN, _shown(error.value)) == []


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_a_token_endpoint_echoing_the_client_secret_shows_none_of_it(
    httpserver: HTTPServer, client_auth: str, shift: str
) -> None:
    def answer(request: Request) -> Response:
        echoed = _echo(_secret_in(request), shift)
        body = {"error": "invalid_client", "error_description": f"unknown client {echoed}"}
        return Response(json.dumps(body), status=401, content_type="application/json")

    httpserver.expect_request("/token").respond_with_handler(answer)
    auth = OAuth2ClientCredentials(
        httpserver.url_for("/token"),
        "ci-client",
        CLIENT_SECRET,
        transport=Transport(HttpSettings(retries=0)),
        client_auth=client_auth,  # type: ignore[arg-type]
    )
    with pytest.raises(CibridgeError) as error:
        auth.headers()
    assert "invalid_client" in error.value.message
    assert _leaks(CLIENT_SECRET, _shown(error.value)) == []


PROMETHEUS_TOKEN = "prom-bearer-Qw3rTy7uI0pAsDfGhJkL5zXc"


@pytest.mark.parametrize("where", ["error", "value", "sample"])
def test_prometheus_echoing_its_token_shows_none_of_it(
    httpserver: HTTPServer, where: str, shift: str
) -> None:
    def answer(request: Request) -> Response:
        echoed = _echo(_secret_in(request), shift)
        bodies = {
            "error": {"status": "error", "errorType": "bad_data", "error": echoed},
            "value": {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, echoed]}]},
            },
            "sample": {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": {}, "value": [echoed]}]},
            },
        }
        return Response(json.dumps(bodies[where]), status=200, content_type="application/json")

    httpserver.expect_request("/api/v1/query").respond_with_handler(answer)
    prometheus = PrometheusClient(
        Transport(HttpSettings(retries=0)), httpserver.url_for("/"), auth=Bearer(PROMETHEUS_TOKEN)
    )
    with pytest.raises(QueryError) as error:
        prometheus.instant("up", 100.0)
    assert (
        _leaks(PROMETHEUS_TOKEN, redact.redact(f"{error.value.message}\n{error.value.hint}")) == []
    )


def test_a_report_cell_masks_a_secret_before_cutting_the_line(shift: str) -> None:
    redact.register(GITHUB_TOKEN)
    why = f"refused: {_echo(GITHUB_TOKEN, shift)}"
    for shown in (inline(why), code(why), cell(why, rendered=False)):
        assert _leaks(GITHUB_TOKEN, redact.redact(shown)) == []
