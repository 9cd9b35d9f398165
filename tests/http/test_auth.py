from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Auth, Basic, Bearer, HeaderAuth
from cibridge.http.oauth import OAuth2ClientCredentials
from cibridge.http.transport import HttpSettings, Transport


@pytest.fixture
def client() -> Iterator[Transport]:
    """One transport without retries (conftest.py's ``transport`` is a factory of them)."""
    with Transport(HttpSettings(retries=0), sleep=lambda _: None) as client:
        yield client


class Prepared:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {"Accept": "application/json"}


@pytest.mark.parametrize(
    ("auth", "headers"),
    [
        (
            Basic("mona@example.com", "api-token-1"),
            {"Authorization": "Basic bW9uYUBleGFtcGxlLmNvbTphcGktdG9rZW4tMQ=="},
        ),
        (Bearer("pat-token-1"), {"Authorization": "Bearer pat-token-1"}),
        (HeaderAuth("PRIVATE-TOKEN", "glpat-token-1"), {"PRIVATE-TOKEN": "glpat-token-1"}),
    ],
)
def test_static_auth_headers_and_requests_protocol(auth: Auth, headers: dict[str, str]) -> None:
    assert auth.headers() == headers
    prepared = auth(Prepared())
    assert prepared.headers == {"Accept": "application/json", **headers}
    assert auth.renew() is False
    assert "token-1" not in repr(auth)


def test_static_auth_works_as_a_requests_auth() -> None:
    import requests

    prepared = requests.Request("GET", "http://h.example/", auth=Bearer("pat-token-2")).prepare()
    assert prepared.headers["Authorization"] == "Bearer pat-token-2"


def test_credentials_are_registered_when_created() -> None:
    Basic("mona", "pass-word-1")
    Bearer("bearer-token-1")
    HeaderAuth("X-Api-Key", "api-key-1")
    basic = base64.b64encode(b"mona:pass-word-1").decode()
    shown = redact.redact(f"pass-word-1 bearer-token-1 api-key-1 {basic} mona:pass-word-1")
    assert shown == "*** *** *** *** ***"


def test_each_auth_is_sent_by_the_transport(httpserver: HTTPServer, client: Transport) -> None:
    httpserver.expect_request("/b", headers={"Authorization": "Basic dTpw"}).respond_with_data("b")
    httpserver.expect_request("/t", headers={"Authorization": "Bearer tok-5678"}).respond_with_data(
        "t"
    )
    httpserver.expect_request("/h", headers={"X-Api-Key": "key-5678"}).respond_with_data("h")
    assert (
        client.request("GET", httpserver.url_for("/b"), auth=Basic("u", "p"), what="T").text == "b"
    )
    assert (
        client.request("GET", httpserver.url_for("/t"), auth=Bearer("tok-5678"), what="T").text
        == "t"
    )
    header = HeaderAuth("X-Api-Key", "key-5678")
    assert client.request("GET", httpserver.url_for("/h"), auth=header, what="T").text == "h"


# -- OAuth 2.0 client credentials ----------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token_endpoint(
    httpserver: HTTPServer, *answers: dict[str, object], status: int = 200
) -> list[Request]:
    """Answers each POST to /token with the next answer (the last one repeats)."""
    seen: list[Request] = []

    def handler(request: Request) -> WerkzeugResponse:
        seen.append(request)
        body = answers[min(len(seen), len(answers)) - 1]
        return WerkzeugResponse(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request("/token", method="POST").respond_with_handler(handler)
    return seen


def oauth(
    httpserver: HTTPServer, transport: Transport, **options: object
) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        httpserver.url_for("/token"),
        "client-id-1",
        "client-secret-1",
        transport=transport,
        **options,  # type: ignore[arg-type]
    )


def test_token_is_fetched_once_for_many_requests(httpserver: HTTPServer, client: Transport) -> None:
    seen = token_endpoint(
        httpserver, {"access_token": "access-1", "token_type": "Bearer", "expires_in": 3600}
    )
    httpserver.expect_request(
        "/api", headers={"Authorization": "Bearer access-1"}
    ).respond_with_data("ok")
    auth = oauth(
        httpserver,
        client,
        scopes=("read:jira-work", "write:jira-work"),
        audience="api.atlassian.com",
    )
    for _ in range(3):
        assert (
            client.request("GET", httpserver.url_for("/api"), auth=auth, what="Jira").text == "ok"
        )
    assert len(seen) == 1
    form = parse_qs(seen[0].get_data(as_text=True))
    assert form == {
        "grant_type": ["client_credentials"],
        "scope": ["read:jira-work write:jira-work"],
        "audience": ["api.atlassian.com"],
        "client_id": ["client-id-1"],
        "client_secret": ["client-secret-1"],
    }
    assert seen[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in seen[0].headers
    assert redact.redact("access-1 client-secret-1") == "*** ***"


def test_client_authentication_with_http_basic(httpserver: HTTPServer, client: Transport) -> None:
    seen = token_endpoint(httpserver, {"access_token": "access-2"})
    auth = OAuth2ClientCredentials(
        httpserver.url_for("/token"), "id:1", "se cret+1", transport=client, client_auth="basic"
    )
    assert auth.headers() == {"Authorization": "Bearer access-2"}
    # RFC 6749 2.3.1: form-encoded, then Basic.
    assert (
        seen[0].headers["Authorization"]
        == "Basic " + base64.b64encode(b"id%3A1:se+cret%2B1").decode()
    )
    assert parse_qs(seen[0].get_data(as_text=True)) == {"grant_type": ["client_credentials"]}


def test_token_is_fetched_again_before_it_expires(
    httpserver: HTTPServer, client: Transport
) -> None:
    seen = token_endpoint(
        httpserver,
        {"access_token": "access-3", "expires_in": 100},
        {"access_token": "access-4", "expires_in": "100"},
    )
    clock = Clock()
    auth = oauth(httpserver, client, clock=clock)
    assert auth.headers()["Authorization"] == "Bearer access-3"
    clock.now += 89.9  # renewed a tenth of the lifetime (at most 60 s) early
    assert auth.headers()["Authorization"] == "Bearer access-3"
    clock.now += 0.1
    assert auth.headers()["Authorization"] == "Bearer access-4"
    assert len(seen) == 2


def test_a_long_lived_token_is_renewed_a_minute_early(
    httpserver: HTTPServer, client: Transport
) -> None:
    seen = token_endpoint(httpserver, {"access_token": "access-5", "expires_in": 3600})
    clock = Clock()
    auth = oauth(httpserver, client, clock=clock)
    auth.headers()
    clock.now += 3539.9
    auth.headers()
    assert len(seen) == 1
    clock.now += 0.1
    auth.headers()
    assert len(seen) == 2


@pytest.mark.parametrize("expires_in", [None, "abc", -5, 0, "inf", [1]])
def test_without_a_usable_expiry_the_token_lasts_the_run(
    httpserver: HTTPServer, client: Transport, expires_in: object
) -> None:
    seen = token_endpoint(httpserver, {"access_token": "access-6", "expires_in": expires_in})
    clock = Clock()
    auth = oauth(httpserver, client, clock=clock)
    auth.headers()
    clock.now += 10**9
    auth.headers()
    assert len(seen) == 1


def test_a_401_renews_the_token_once(httpserver: HTTPServer, client: Transport) -> None:
    seen = token_endpoint(httpserver, {"access_token": "old-token"}, {"access_token": "new-token"})
    httpserver.expect_request(
        "/api", headers={"Authorization": "Bearer new-token"}
    ).respond_with_data("ok")
    httpserver.expect_request("/api").respond_with_data("expired", status=401)
    auth = oauth(httpserver, client)
    assert (
        client.request("POST", httpserver.url_for("/api"), json={}, auth=auth, what="Jira").text
        == "ok"
    )
    assert len(seen) == 2


def test_a_refused_fresh_token_is_not_fetched_again_and_again(
    httpserver: HTTPServer, client: Transport
) -> None:
    seen = token_endpoint(httpserver, {"access_token": "token-a"}, {"access_token": "token-b"})
    httpserver.expect_request("/api").respond_with_data("no", status=401)
    auth = oauth(httpserver, client)
    for _ in range(3):
        assert (
            client.request("GET", httpserver.url_for("/api"), auth=auth, what="Jira").status == 401
        )
    assert len(seen) == 2
    assert len([r for r, _ in httpserver.log if r.path == "/api"]) == 4


@pytest.mark.parametrize(
    ("status", "body", "detail", "hint"),
    [
        (
            401,
            {"error": "invalid_client", "error_description": "Client\nauthentication failed"},
            "invalid_client: Client authentication failed",
            "client_secret",
        ),
        (400, {"error": "invalid_scope"}, "invalid_scope", "scopes"),
        (400, {"error": "something_else"}, "something_else", "token_url"),
        (500, ["not", "an", "error"], 'HTTP 500: ["not", "an", "error"]', "token_url"),
        (200, {"token_type": "Bearer"}, "answered without an access_token", "token_url"),
    ],
)
def test_token_endpoint_errors(
    httpserver: HTTPServer, client: Transport, status: int, body: object, detail: str, hint: str
) -> None:
    token_endpoint(httpserver, body, status=status)  # type: ignore[arg-type]
    auth = oauth(httpserver, client)
    with pytest.raises(CibridgeError) as caught:
        client.request("GET", httpserver.url_for("/api"), auth=auth, what="Jira")
    origin = httpserver.url_for("/").rstrip("/")
    assert caught.value.exit_code == 1
    assert (
        caught.value.message
        == f"OAuth 2.0 token: the token endpoint {origin} gave no token: {detail}"
    )
    assert hint in caught.value.hint
    assert "client-secret-1" not in str(caught.value)


def test_a_redirecting_token_endpoint_is_not_followed(
    httpserver: HTTPServer, client: Transport
) -> None:
    httpserver.expect_request("/token").respond_with_data(
        "", status=307, headers={"Location": "https://elsewhere.example/t"}
    )
    with pytest.raises(CibridgeError, match=r"307 redirect to https://elsewhere\.example"):
        oauth(httpserver, client, what="Jira token").headers()
