"""HTTP and TCP health checks: status, body, JSON path, latency budget, retries with backoff."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cibridge.core.errors import CibridgeError
from cibridge.gate.health import Clock, http_check, json_at, tcp_check
from cibridge.gate.settings import HttpCheck, TcpCheck
from cibridge.http.transport import HttpSettings, Transport
from tests.gate.helpers import settings_from

TRANSPORT = Transport(HttpSettings())


def fake_clock(step: float = 0.01) -> Clock:
    ticks: Iterator[float] = itertools.count(0.0, step)
    return Clock(sleep=lambda _s: None, monotonic=lambda: next(ticks))


def check(server: HTTPServer, **fields: Any) -> HttpCheck:
    return HttpCheck(name="health", url=server.url_for("/health"), where="x:1", **fields)


def test_status_body_and_json_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_json(
        {"status": "UP", "checks": [{"db": True}]}
    )
    clock = fake_clock()
    result = http_check(
        check(
            httpserver, body_regex=r'"status":\s*"UP"', json_path="$.checks[0].db", json_value=True
        ),
        TRANSPORT,
        clock,
    )
    assert result.verdict == "pass" and result.why.startswith("HTTP 200 in ")
    assert clock.waits == []


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"expected_status": (204,)}, "HTTP 200 in 10 ms, expected 204"),
        ({"contains": "DOWN"}, "does not contain 'DOWN'"),
        ({"body_regex": "^nope"}, "does not match /^nope/"),
        ({"json_path": "status.detail"}, "the body has no status.detail"),
        ({"json_path": "status", "json_value": "DOWN"}, "status is 'UP', expected 'DOWN'"),
    ],
)
def test_each_kind_of_failure_says_why(
    httpserver: HTTPServer, fields: dict[str, Any], why: str
) -> None:
    httpserver.expect_request("/health").respond_with_json({"status": "UP"})
    result = http_check(check(httpserver, **fields), TRANSPORT, fake_clock())
    assert result.verdict == "fail" and why in result.why


def test_retries_back_off_and_a_late_success_passes(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/health").respond_with_data("starting", status=503)
    httpserver.expect_ordered_request("/health").respond_with_data("starting", status=503)
    httpserver.expect_ordered_request("/health").respond_with_data("ok")
    clock = fake_clock()
    result = http_check(check(httpserver, retries=3, interval=2.0), TRANSPORT, clock)
    assert result.verdict == "pass" and "(attempt 3)" in result.why
    assert clock.waits == [2.0, 4.0]


def test_all_attempts_failing_fails(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data("down", status=500)
    clock = fake_clock()
    result = http_check(check(httpserver, retries=2, interval=1.0), TRANSPORT, clock)
    assert result.verdict == "fail" and result.why.endswith("(after 3 attempts)")
    assert "HTTP 500" in result.why and clock.waits == [1.0, 2.0]
    assert len(httpserver.log) == 3  # the transport itself does not retry on top


def test_latency_budget(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data("ok")
    slow = http_check(check(httpserver, max_latency=0.5), TRANSPORT, fake_clock(step=0.8))
    assert slow.verdict == "fail" and "over the 500 ms budget" in slow.why
    fast = http_check(check(httpserver, max_latency=0.5), TRANSPORT, fake_clock(step=0.1))
    assert fast.verdict == "pass"


def test_unreachable_service_fails_its_check() -> None:
    result = http_check(
        HttpCheck(name="h", url="http://127.0.0.1:9/health", where="x:1", timeout=2),
        TRANSPORT,
        fake_clock(),
    )
    assert result.verdict == "fail" and "127.0.0.1:9" in result.why


def test_a_url_that_cannot_work_is_a_configuration_error() -> None:
    with pytest.raises(CibridgeError) as caught:
        http_check(HttpCheck(name="h", url="ftp://x/health", where="x:1"), TRANSPORT, fake_clock())
    assert caught.value.exit_code == 2


def test_json_at() -> None:
    doc = {"a": {"b": [1, {"c": "x"}]}}
    assert json_at(doc, "$.a.b[1].c") == "x" and json_at(doc, "a.b[0]") == 1
    assert json_at(doc, "a.z") is not None and json_at(doc, "a.z") != "x"


def test_tcp_connects_or_fails_after_retries() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        ok = tcp_check(TcpCheck("db", "127.0.0.1", str(port), "x:1", timeout=2), fake_clock())
        assert ok.verdict == "pass" and ok.kind == "tcp" and ok.target == f"127.0.0.1:{port}"
    clock = fake_clock()
    refused = tcp_check(TcpCheck("db", "127.0.0.1", str(port), "x:1", timeout=2, retries=2), clock)
    assert refused.verdict == "fail" and "cannot connect to 127.0.0.1" in refused.why
    assert clock.waits == [1.0, 2.0] and "after 3 attempts" in refused.why


def test_tcp_timeout_is_said_plainly() -> None:
    def never(*_args: object, **_kwargs: object) -> socket.socket:
        raise TimeoutError("timed out")

    clock = Clock(sleep=lambda _s: None, connect=never)
    result = tcp_check(TcpCheck("db", "10.255.255.1", "5432", "x:1", timeout=3), clock)
    assert result.verdict == "fail" and "no answer within 3s" in result.why


def test_reports_name_a_check_by_origin_and_path_never_its_query_or_userinfo(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/health").respond_with_data("ok")
    url = httpserver.url_for("/health").replace("://", "://user:pw-hidden@") + "?token=t0k3n"
    result = http_check(HttpCheck(name="h", url=url, where="x:1"), TRANSPORT, fake_clock())
    assert result.target == f"GET http://{httpserver.host}:{httpserver.port}/health"
    assert "t0k3n" not in result.target and "pw-hidden" not in result.target


def test_an_unnamed_check_is_named_without_its_credentials(tmp_path: Path) -> None:
    gate = settings_from(
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        "      - url: https://u:pw-hidden@h:8443/x?token=t0k3n#f\n",
        tmp_path,
    )
    assert gate.http[0].name == "GET https://h:8443/x"


def test_header_values_are_resolved_and_masked_like_every_other_value(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    from cryptography.fernet import Fernet

    from cibridge.config import encryption
    from cibridge.core import redact

    key = Fernet.generate_key().decode()
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "tenant-key").write_text("tenant-key-from-a-file\n", encoding="utf-8")
    env = {
        "HEALTH_TOKEN": "health-token-from-env",
        "CIBRIDGE_KEY": key,
        "CIBRIDGE_SECRETS_DIR": str(secrets),
    }
    encrypted = encryption.encrypt("api-key-encrypted", env)
    gate = settings_from(
        f"""
post_deployment_validation:
  health_check_validation:
    http_checks:
      - url: {httpserver.url_for("/health")}
        headers:
          Authorization: "Bearer ${{HEALTH_TOKEN}}"
          X-Api-Key: "{encrypted}"
          X-Tenant-Key_ref: tenant-key
          X-Trace: "${{TRACE_ID:-tracing-default}}"
          Accept: application/json
""",
        tmp_path,
        env,
    )
    sent = {
        "Authorization": "Bearer health-token-from-env",
        "X-Api-Key": "api-key-encrypted",
        "X-Tenant-Key": "tenant-key-from-a-file",
        "X-Trace": "tracing-default",
        "Accept": "application/json",
    }
    (http,) = gate.http
    assert http.headers == sent
    httpserver.expect_request("/health", headers=sent).respond_with_data("ok")
    assert http_check(http, TRANSPORT, fake_clock()).verdict == "pass"
    for value in ("health-token-from-env", "api-key-encrypted", "tenant-key-from-a-file"):
        assert redact.redact(f"sent {value}") == "sent ***"
    # A literal in a header that is no credential is not a secret: masking it would hide it.
    assert redact.redact("application/json") == "application/json"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_origin_fails_and_its_headers_stay_home(
    httpserver: HTTPServer, other_server: HTTPServer, status: int
) -> None:
    httpserver.expect_request("/health").respond_with_data(
        "", status=status, headers={"Location": other_server.url_for("/health?token=x")}
    )
    other_server.expect_request("/health").respond_with_data("ok")
    headers = {"X-Health-Auth": "health-1234", "X-Tenant": "team-a"}
    result = http_check(check(httpserver, headers=headers), TRANSPORT, fake_clock())
    origin = other_server.url_for("/").rstrip("/")
    assert result.verdict == "fail"
    assert result.why == (
        f"HTTP {status} in 10 ms: redirected to another origin {origin} (not followed)"
    )
    assert other_server.log == []  # neither the other host's 200 nor the headers
    ((sent, _),) = httpserver.log
    assert sent.headers["X-Health-Auth"] == "health-1234"


def test_a_same_origin_redirect_is_still_followed_with_the_headers(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/health").respond_with_data(
        "", status=302, headers={"Location": "/ready"}
    )
    httpserver.expect_request("/ready", headers={"X-Tenant": "team-a"}).respond_with_data("ok")
    result = http_check(
        check(httpserver, headers={"X-Tenant": "team-a"}, contains="ok"), TRANSPORT, fake_clock()
    )
    assert result.verdict == "pass"


def test_a_check_that_expects_the_redirect_passes_on_it_without_following(
    httpserver: HTTPServer, other_server: HTTPServer
) -> None:
    httpserver.expect_request("/health").respond_with_data(
        "", status=302, headers={"Location": other_server.url_for("/login")}
    )
    result = http_check(check(httpserver, expected_status=(302,)), TRANSPORT, fake_clock())
    assert result.verdict == "pass" and other_server.log == []
