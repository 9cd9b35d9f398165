"""The session under the transport (cibridge.http.session): which answers and faults are
retried for which methods, Retry-After and X-RateLimit-Reset, backoff with jitter, the
per-attempt deadline that ends a drip-feeding server, and pooled connections. The server
harness is in conftest.py."""

from __future__ import annotations

import datetime
import threading
from email.utils import formatdate
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Transport
from tests.http.conftest import (
    answer,
    closed_port,
    drip_body,
    drip_headers,
    keep_alive,
    silent,
)


def test_connections_are_reused(raw_server, transport) -> None:
    server = raw_server(keep_alive)
    client = transport()
    for _ in range(3):
        assert client.request("GET", f"{server.url}/x", what="T").text == "ok"
    assert len(server.requests) == 3
    assert len(server.connections) == 1


# -- retries -------------------------------------------------------------------------------


def test_get_is_retried_on_503_then_succeeds(httpserver: HTTPServer, transport, waits) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data(
        "busy", status=503, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/r").respond_with_data("fine")
    assert transport().request("GET", httpserver.url_for("/r"), what="T").text == "fine"
    assert len(httpserver.log) == 2
    assert waits == [0.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_writes_are_not_retried_on_5xx(httpserver: HTTPServer, transport, status: int) -> None:
    httpserver.expect_request("/w").respond_with_data(
        "boom", status=status, headers={"Retry-After": "0"}
    )
    for method in ("POST", "PATCH"):
        assert (
            transport().request(method, httpserver.url_for("/w"), json={}, what="T").status
            == status
        )
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
def test_idempotent_methods_are_retried_on_502(
    httpserver: HTTPServer, transport, method: str
) -> None:
    httpserver.expect_request("/i").respond_with_data("", status=502)
    assert transport(retries=1).request(method, httpserver.url_for("/i"), what="T").status == 502
    assert len(httpserver.log) == 2


def test_404_is_returned_not_retried(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/n").respond_with_data("nope", status=404)
    response = transport().request("GET", httpserver.url_for("/n"), what="T")
    assert (response.status, response.ok, len(httpserver.log)) == (404, False, 1)


def test_post_is_retried_on_429_honouring_retry_after(
    httpserver: HTTPServer, transport, waits
) -> None:
    httpserver.expect_ordered_request("/w", method="POST").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/w", method="POST").respond_with_data("ok")
    assert transport().request("POST", httpserver.url_for("/w"), json={}, what="T").text == "ok"
    assert waits == [7.0]


def test_retry_after_as_http_date(httpserver: HTTPServer, transport, waits) -> None:
    later = formatdate(datetime.datetime.now().timestamp() + 10, usegmt=True)
    httpserver.expect_ordered_request("/d").respond_with_data(
        "", status=429, headers={"Retry-After": later}
    )
    httpserver.expect_ordered_request("/d").respond_with_data("ok")
    assert transport().request("GET", httpserver.url_for("/d"), what="T").text == "ok"
    assert len(waits) == 1 and 8 <= waits[0] <= 10


def test_retry_after_above_max_wait_returns_the_answer(
    httpserver: HTTPServer, transport, waits
) -> None:
    httpserver.expect_request("/w").respond_with_data(
        "later", status=429, headers={"Retry-After": "6"}
    )
    response = transport(max_wait=5).request("POST", httpserver.url_for("/w"), json={}, what="T")
    assert response.status == 429 and response.text == "later"
    assert len(httpserver.log) == 1 and waits == []
    # At the limit exactly, it is still waited for.
    httpserver.clear_log()
    transport(max_wait=6, retries=1).request("POST", httpserver.url_for("/w"), json={}, what="T")
    assert waits == [6.0] and len(httpserver.log) == 2


@pytest.mark.parametrize("garbage", ["²", "soon", "-5", "1.5"])
def test_garbage_retry_after_falls_back_to_backoff(
    httpserver: HTTPServer, transport, waits, garbage: str
) -> None:
    httpserver.expect_ordered_request("/g").respond_with_data(
        "", status=429, headers={"Retry-After": garbage}
    )
    httpserver.expect_ordered_request("/g").respond_with_data("ok")
    assert transport().request("POST", httpserver.url_for("/g"), what="T").text == "ok"
    assert waits == [0.25]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "You are being rate limited.", "retry_after": 1.25, "global": False}, 1.25),
        ({"ok": False, "error_code": 429, "parameters": {"retry_after": 3}}, 3.0),
    ],
    ids=["discord", "telegram"],
)
def test_a_429_that_says_its_wait_in_the_json_body_is_waited_for(
    httpserver: HTTPServer, transport, waits, body: dict, expected: float
) -> None:
    httpserver.expect_ordered_request("/b", method="POST").respond_with_json(body, status=429)
    httpserver.expect_ordered_request("/b", method="POST").respond_with_data("ok")
    assert transport().request("POST", httpserver.url_for("/b"), json={}, what="T").text == "ok"
    assert waits == [expected]  # the body's wait, exactly, and no backoff before it


def test_a_body_wait_over_max_wait_returns_the_answer_with_its_body(
    httpserver: HTTPServer, transport, waits
) -> None:
    body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 90"}
    httpserver.expect_request("/b").respond_with_json(
        {**body, "parameters": {"retry_after": 90}}, status=429
    )
    response = transport(max_wait=60).request("POST", httpserver.url_for("/b"), json={}, what="T")
    assert response.status == 429 and response.json()["description"] == body["description"]
    assert waits == [] and len(httpserver.log) == 1


def test_a_json_429_naming_no_wait_backs_off_and_is_bounded(
    httpserver: HTTPServer, transport, waits
) -> None:
    httpserver.expect_request("/n").respond_with_json({"message": "slow"}, status=429)
    response = transport(retries=2).request("POST", httpserver.url_for("/n"), json={}, what="T")
    assert response.status == 429 and response.json() == {"message": "slow"}
    assert waits == [0.25, 0.5] and len(httpserver.log) == 3


def test_429_without_retry_after_waits_for_the_rate_limit_reset(
    httpserver: HTTPServer, transport, waits
) -> None:
    # Jira Cloud's 429s carry X-RateLimit-Reset (ISO 8601); without Retry-After it decides.
    reset = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    httpserver.expect_ordered_request("/r").respond_with_data(
        "", status=429, headers={"X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    httpserver.expect_ordered_request("/r").respond_with_data("ok")
    assert transport().request("POST", httpserver.url_for("/r"), json={}, what="T").text == "ok"
    assert len(waits) == 1 and 2 <= waits[0] <= 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:10Z", 10.0),
        ("2026-01-01T00:00:10+00:00", 10.0),
        ("2026-01-01T00:00:10", 10.0),  # no zone: UTC, as Jira means it
        ("2025-12-31T23:59:00Z", 0.0),  # already past: go now
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_reset_wait_reads_iso_8601(value: str | None, expected: float | None) -> None:
    from cibridge.http.session import reset_wait

    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    assert reset_wait(value, now) == expected


def test_backoff_doubles_from_half_a_second_up_to_eight(
    httpserver: HTTPServer, transport, waits
) -> None:
    httpserver.expect_request("/b").respond_with_data("", status=503)
    transport(retries=6, jitter=lambda: 0.0).request("GET", httpserver.url_for("/b"), what="T")
    assert waits == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    waits.clear()
    transport(retries=6, jitter=lambda: 1.0).request("GET", httpserver.url_for("/b"), what="T")
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(httpserver.log) == 14


def test_default_jitter_stays_within_its_bounds(waits: list[float]) -> None:
    with Transport(HttpSettings(), sleep=waits.append) as client, pytest.raises(CibridgeError):
        client.request("GET", f"http://127.0.0.1:{closed_port()}/x", what="T")
    assert len(waits) == 3  # the default: 3 retries
    for attempt, wait in enumerate(waits):
        assert 0.25 * 2**attempt <= wait < 0.5 * 2**attempt


def test_retries_are_bounded(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/w").respond_with_data("x", status=429, headers={"Retry-After": "0"})
    assert transport(retries=2).request("POST", httpserver.url_for("/w"), what="T").status == 429
    assert len(httpserver.log) == 3


def test_default_settings_retry_three_times(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_request("/w").respond_with_data("x", status=503)
    with Transport(HttpSettings.from_env({}), sleep=waits.append) as client:
        assert client.request("GET", httpserver.url_for("/w"), what="T").status == 503
    assert len(httpserver.log) == 4


def test_https_gets_the_same_retries_as_http(tls_server: tuple[HTTPServer, Path]) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that https connections get the
    same retry policy as http ones."""
    server, cert = tls_server
    server.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    server.expect_ordered_request("/flaky").respond_with_data("fine")
    waits: list[float] = []
    settings = HttpSettings.from_env({"REQUESTS_CA_BUNDLE": str(cert)})
    with Transport(settings, sleep=waits.append, jitter=lambda: 0.0) as client:
        response = client.request("GET", server.url_for("/flaky"), what="T")
    assert (response.status, response.text) == (200, "fine")
    assert waits == [0.25]  # backed off once, with no Retry-After
    server.clear()


def test_refused_connection_is_retried_even_for_a_post(transport, waits) -> None:
    with pytest.raises(CibridgeError):
        transport(retries=2).request(
            "POST", f"http://127.0.0.1:{closed_port()}/x", json={}, what="T"
        )
    assert waits == [0.25, 0.5]


def test_connect_timeout_is_retried_even_for_a_post(full_backlog: str, transport, waits) -> None:
    with pytest.raises(CibridgeError) as caught:
        transport(retries=1, connect_timeout=0.2).request(
            "POST", f"{full_backlog}/x", json={}, what="T"
        )
    assert caught.value.exit_code == 1
    assert caught.value.message == f"T: POST {full_backlog}: no connection within 0.2s"
    assert "check that the service is up" in caught.value.hint
    assert waits == [0.25]  # nothing was sent, so a write may be tried again


def test_post_is_never_repeated_after_a_read_timeout(raw_server, transport) -> None:
    server = raw_server(silent)
    with pytest.raises(CibridgeError, match=r"timed out after 0\.3s") as caught:
        transport(retries=3).request("POST", f"{server.url}/w", json={}, timeout=0.3, what="T")
    assert caught.value.exit_code == 1
    assert "check that the service is up" in caught.value.hint
    assert len(server.requests) == 1


def test_get_is_repeated_after_a_read_timeout(raw_server, transport, waits) -> None:
    server = raw_server(silent)
    with pytest.raises(CibridgeError, match="timed out"):
        transport(retries=2, read_timeout=0.2).request("GET", f"{server.url}/r", what="T")
    assert len(server.requests) == 3 and len(waits) == 2


def test_post_is_not_repeated_after_the_server_hangs_up(raw_server, transport) -> None:
    server = raw_server(answer(b""))
    with pytest.raises(CibridgeError, match="closed the connection without answering"):
        transport(retries=3).request("POST", f"{server.url}/w", json={}, what="T")
    assert len(server.requests) == 1


# -- the per-attempt deadline --------------------------------------------------------------


@pytest.mark.parametrize("handler", [drip_headers, drip_body])
def test_a_drip_feeding_server_ends_at_the_deadline(raw_server, transport, handler) -> None:
    server = raw_server(handler)
    with pytest.raises(CibridgeError) as caught:
        transport(retries=0, deadline=1.0, read_timeout=5.0).request(
            "GET", f"{server.url}/x", what="T"
        )
    assert caught.value.exit_code == 1
    assert caught.value.message == f"T: GET {server.url} did not finish within the 1s deadline"
    assert "CIBRIDGE_HTTP_DEADLINE" in caught.value.hint


def test_each_attempt_has_its_own_deadline(raw_server, transport, waits) -> None:
    server = raw_server(drip_headers)
    with pytest.raises(CibridgeError, match="deadline"):
        transport(retries=1, deadline=0.5, read_timeout=5.0).request(
            "GET", f"{server.url}/x", what="T"
        )
    # Cut off before its headers, a GET is tried again, with a deadline of its own.
    assert len(server.requests) == 2 and len(waits) == 1


def test_timers_of_finished_requests_do_not_touch_the_next_one(raw_server, transport) -> None:
    server = raw_server(keep_alive)
    client = transport(deadline=0.3)
    client.request("GET", f"{server.url}/a", what="T")
    threading.Event().wait(0.4)  # past the first request's deadline, on the same connection
    assert client.request("GET", f"{server.url}/b", what="T").text == "ok"
    assert len(server.connections) == 1
