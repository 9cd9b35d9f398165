"""The HTTP layer against loopback servers: pytest-httpserver where a well-behaved server
will do, a raw socket server where the test needs a misbehaving one."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from cibridge import __version__
from cibridge.core import log, redact
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Bearer
from cibridge.http.transport import HttpSettings, Response, Transport
from tests.http.tls import https_server

CANARIES = ("canaryuser", "canarypass", "canarypath", "canaryquery")


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def transport(waits: list[float]) -> Iterator[Callable[..., Transport]]:
    """``transport(retries=0, ...)``: HttpSettings fields; sleeps are recorded, not slept."""
    made: list[Transport] = []

    def make(jitter: Callable[[], float] = lambda: 0.0, **fields: object) -> Transport:
        made.append(Transport(HttpSettings(**fields), sleep=waits.append, jitter=jitter))
        return made[-1]

    yield make
    for item in made:
        item.close()


# -- a raw socket server for misbehaviour --------------------------------------------------


class RawServer:
    """A loopback server whose handler gets each accepted socket. Every thread it starts
    ends with the test: handlers wait on ``stop``, and close() shuts every socket down."""

    def __init__(self, handler: Callable[[RawServer, socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.requests: list[bytes] = []
        self.connections: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, args=(handler,), daemon=True)]
        self.threads[0].start()

    def _accept(self, handler: Callable[[RawServer, socket.socket], None]) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(handler, conn), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(
        self, handler: Callable[[RawServer, socket.socket], None], conn: socket.socket
    ) -> None:
        with contextlib.suppress(OSError):
            handler(self, conn)

    def read_request(self, conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        self.requests.append(head)
        return head

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[RawServer, socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Callable[[RawServer, socket.socket], None]) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def silent(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    server.stop.wait()


def drip_headers(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not server.stop.wait(0.2):
        conn.sendall(b"a")


def drip_body(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not server.stop.wait(0.2):
        conn.sendall(b"a")


def answer(raw: bytes) -> Callable[[RawServer, socket.socket], None]:
    """Send ``raw`` to each request, then hang up."""

    def handler(server: RawServer, conn: socket.socket) -> None:
        server.read_request(conn)
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_RDWR)

    return handler


def keep_alive(server: RawServer, conn: socket.socket) -> None:
    while server.read_request(conn) is not None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- requests as sent ----------------------------------------------------------------------


def test_user_agent_accept_and_utf8_json(httpserver: HTTPServer, transport) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> WerkzeugResponse:
        seen.append(request)
        return WerkzeugResponse('{"ok": true}', content_type="application/json")

    httpserver.expect_request("/x", method="POST").respond_with_handler(handler)
    response = transport().request("post", httpserver.url_for("/x"), json={"a": "é"}, what="T")
    assert response.status == 200 and response.ok and response.json() == {"ok": True}
    request = seen[0]
    assert request.headers["User-Agent"] == f"cibridge/{__version__}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.get_data() == '{"a": "é"}'.encode()  # ensure_ascii=False
    assert response.headers["content-type"] == "application/json"  # lower-case names


def test_caller_headers_and_raw_data(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request(
        "/raw", method="PUT", data=b"\x00bytes", headers={"Accept": "text/plain", "X-A": "1"}
    ).respond_with_data("done")
    response = transport().request(
        "PUT",
        httpserver.url_for("/raw"),
        data=b"\x00bytes",
        headers={"Accept": "text/plain", "X-A": "1"},
        what="T",
    )
    assert response.text == "done"


def test_connections_are_reused(raw_server, transport) -> None:
    server = raw_server(keep_alive)
    client = transport()
    for _ in range(3):
        assert client.request("GET", f"{server.url}/x", what="T").text == "ok"
    assert len(server.requests) == 3
    assert len(server.connections) == 1


def test_user_info_becomes_basic_auth(httpserver: HTTPServer, transport) -> None:
    # "p@ss" percent-encoded in the URL, sent decoded; the URL itself loses it.
    httpserver.expect_request(
        "/x", headers={"Authorization": "Basic dXNlcjpwQHNz"}
    ).respond_with_data("in")
    url = httpserver.url_for("/x").replace("http://", "http://user:p%40ss@")
    response = transport().request("GET", url, what="T")
    assert response.text == "in"
    assert "p%40ss" not in response.url and "user" not in response.url
    assert redact.redact("p@ss") == "***"


def test_explicit_auth_wins_over_user_info(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/x", headers={"Authorization": "Bearer tok-1234"}).respond_with_data(
        "in"
    )
    url = httpserver.url_for("/x").replace("http://", "http://user:pass@")
    assert transport().request("GET", url, auth=Bearer("tok-1234"), what="T").text == "in"


def test_header_with_a_newline_is_a_config_error(transport) -> None:
    with pytest.raises(CibridgeError) as caught:
        transport().request(
            "POST", "http://127.0.0.1:9/x", headers={"X-Token": "secret-value\n"}, what="Slack"
        )
    assert caught.value.exit_code == 2
    assert "X-Token" in str(caught.value) and "secret-value" not in str(caught.value)
    assert "newline" in str(caught.value)


def test_debug_log_shows_origin_status_and_time_only(
    httpserver: HTTPServer, transport, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/canarypath").respond_with_data("x", status=503)
    log.set_verbose(True)
    try:
        transport(retries=1).request(
            "GET", httpserver.url_for("/canarypath?t=canaryquery"), what="Slack"
        )
    finally:
        log.set_verbose(False)
    err = capsys.readouterr().err
    origin = httpserver.url_for("/").rstrip("/")
    assert re.search(
        rf"debug: Slack: GET {re.escape(origin)} -> HTTP 503 \(\d+ ms\); retrying", err
    )
    assert re.search(rf"debug: Slack: GET {re.escape(origin)} -> 503 \(\d+ ms\)", err)
    assert not any(canary in err for canary in CANARIES)


def test_importing_does_not_import_requests() -> None:
    code = (
        "import sys, cibridge.http.transport as t, cibridge.http.auth, cibridge.core.urls\n"
        "t.Transport(t.HttpSettings.from_env({}))\n"
        "t.Response(200, b'{}').json()\n"
        "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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


def test_refused_connection_is_retried_even_for_a_post(transport, waits) -> None:
    with pytest.raises(CibridgeError):
        transport(retries=2).request(
            "POST", f"http://127.0.0.1:{closed_port()}/x", json={}, what="T"
        )
    assert waits == [0.25, 0.5]


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


# -- faults: exit codes, hints, and nothing secret in the message --------------------------


def _canary_url(base: str) -> str:
    return base.replace("://", "://canaryuser:canarypass@") + "/canarypath/x?token=canaryquery"


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (None, "cannot reach http://127.0.0.1:"),
        (silent, "timed out after 0.2s"),
        (answer(b"garbage\r\n\r\n"), "the answer is not HTTP"),
        (answer(b""), "closed the connection without answering"),
        (answer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), "broke off"),
        (
            answer(
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"
            ),
            "Content-Encoding cannot be decoded",
        ),
    ],
)
def test_faults_are_exit_1_naming_the_origin_only(
    raw_server, transport, capsys, handler, expected: str
) -> None:
    base = raw_server(handler).url if handler else f"http://127.0.0.1:{closed_port()}"
    log.set_verbose(True)
    try:
        with pytest.raises(CibridgeError) as caught:
            transport(retries=1, read_timeout=0.2).request(
                "POST", _canary_url(base), json={}, what="Webhook"
            )
    finally:
        log.set_verbose(False)
    error = caught.value
    assert error.exit_code == 1
    assert error.message.startswith("Webhook: ")
    assert expected in error.message and base in error.message
    assert error.hint
    shown = str(error) + capsys.readouterr().err
    assert not any(canary in shown for canary in CANARIES), shown


def test_refused_says_what_to_check(transport) -> None:
    url = f"http://127.0.0.1:{closed_port()}/robot/send?access_token=leakme123"
    with pytest.raises(CibridgeError) as caught:
        transport(retries=0).request("POST", url, json={}, what="DingTalk")
    assert caught.value.message.startswith("DingTalk: cannot reach http://127.0.0.1:")
    assert caught.value.message.endswith("Connection refused")
    assert "HTTPS_PROXY" in caught.value.hint and "leakme123" not in str(caught.value)


def test_unknown_host_is_a_dns_error(transport) -> None:
    with pytest.raises(CibridgeError) as caught:
        transport(retries=0).request(
            "GET", "http://canaryuser@name.invalid/canarypath", what="Jira"
        )
    assert caught.value.exit_code == 1
    assert (
        caught.value.message
        == "Jira: cannot reach http://name.invalid: its host name does not resolve"
    )
    assert "DNS" in caught.value.hint


@pytest.mark.parametrize(
    "url",
    [
        "https://canaryuser:canary/pass@host.example/canarypath",  # "/" in a password
        "http://host.example:canarypass/canarypath",
        "http://host.example/canary path",
        "https://host.example/canarypath\n",
        "ftp://host.example/canarypath",
        "hooks.example/canarypath",
        "http:///canarypath",
    ],
)
def test_unusable_url_is_a_config_error_not_shown(transport, url: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        transport().request("POST", url, json={}, what="Webhook")
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("Webhook: the URL for POST is not usable")
    assert "canary" not in str(caught.value)


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A listener whose one-place queue is taken: the next connect never completes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    first = socket.create_connection(listener.getsockname())
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    first.close()
    listener.close()


def test_connect_timeout_is_retried_even_for_a_post(full_backlog: str, transport, waits) -> None:
    with pytest.raises(CibridgeError) as caught:
        transport(retries=1, connect_timeout=0.2).request(
            "POST", f"{full_backlog}/x", json={}, what="T"
        )
    assert caught.value.exit_code == 1
    assert caught.value.message == f"T: POST {full_backlog}: no connection within 0.2s"
    assert "check that the service is up" in caught.value.hint
    assert waits == [0.25]  # nothing was sent, so a write may be tried again


def test_an_unreachable_proxy_says_so(transport) -> None:
    settings = HttpSettings.from_env(
        {"HTTP_PROXY": f"http://proxyuser:proxy-pw-9@127.0.0.1:{closed_port()}"}
    )
    with (
        Transport(settings, sleep=lambda _: None) as client,
        pytest.raises(CibridgeError) as caught,
    ):
        client.request("GET", "http://chat.example.invalid/canarypath", what="T")
    assert caught.value.exit_code == 1
    assert caught.value.message.startswith(
        "T: GET http://chat.example.invalid: the proxy did not connect"
    )
    assert "HTTP_PROXY" in caught.value.hint and "NO_PROXY" in caught.value.hint
    assert "proxy-pw-9" not in str(caught.value) and "canarypath" not in str(caught.value)


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


# -- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "truncated"), [(999, False), (1000, False), (1001, True)])
def test_body_is_read_up_to_max_body(
    httpserver: HTTPServer, transport, size: int, truncated: bool
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * size)
    response = transport(max_body=1000).request("GET", httpserver.url_for("/big"), what="T")
    assert len(response.body) == min(size, 1000)
    assert response.truncated is truncated


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """128 MiB of zeros in about 130 KB of gzip."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join([compressor.compress(block) for _ in range(128)] + [compressor.flush()])


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(
    httpserver: HTTPServer, transport, gzip_bomb: bytes
) -> None:
    httpserver.expect_request("/bomb").respond_with_data(
        gzip_bomb, status=400, headers={"Content-Encoding": "gzip"}
    )
    client = transport()
    tracemalloc.start()
    try:
        response = client.request("GET", httpserver.url_for("/bomb"), what="T")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status == 400 and response.truncated
    assert response.body == bytes(1_048_576)
    assert peak < 32 * 2**20  # the whole bomb would be 128 MiB


def test_response_helpers() -> None:
    assert Response(200, b"").json() is None
    assert Response(200, b"<html>").json() is None
    assert Response(200, b"[" * 200_000).json() is None  # too deep to decode: not a crash
    assert (
        Response(200, "é".encode("latin-1"), {"content-type": "text/plain; charset=latin-1"}).text
        == "é"
    )
    assert Response(200, b"\xff", {"content-type": "text/plain; charset=nonsense"}).text == "\ufffd"
    assert [Response(s, b"").ok for s in (199, 200, 299, 300)] == [False, True, True, False]


def test_excerpt_strips_controls_and_cuts_at_the_limit() -> None:
    answer_ = Response(400, "\x1b[31mred\x1b[0m\r\nline two\x00\u0085end".encode())
    assert answer_.excerpt() == "[31mred [0m line two end"
    assert Response(400, b"x" * 300).excerpt() == "x" * 300
    assert Response(400, b"x" * 301).excerpt() == "x" * 299 + "…"
    assert Response(400, b"abcdef").excerpt(limit=5) == "abcd…"


def test_excerpt_masks_a_secret_the_limit_would_cut_in_half() -> None:
    redact.register("hunter2-secret")
    shown = Response(400, b"x" * 290 + b" hunter2-secret and more").excerpt()
    assert "hunter2" not in shown and len(shown) <= 300


# -- redirects -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _other_server() -> Iterator[HTTPServer]:
    # One per module: stopping a server waits out werkzeug's 0.5 s poll.
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def other_server(_other_server: HTTPServer) -> Iterator[HTTPServer]:
    """A second origin (another port), for redirects and proxies."""
    yield _other_server
    _other_server.clear()


def test_a_read_follows_a_redirect_to_another_origin_without_credentials(
    httpserver: HTTPServer, other_server: HTTPServer, transport
) -> None:
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": other_server.url_for("/land")}
    )
    other_server.expect_request("/land").respond_with_data("landed")
    url = httpserver.url_for("/start").replace("http://", "http://user:pass-1234@")
    response = transport().request(
        "GET",
        url,
        headers={"X-Api-Key": "key-1234", "PRIVATE-TOKEN": "tok-1234", "X-Trace": "kept"},
        what="T",
    )
    assert response.text == "landed" and response.url == other_server.url_for("/land")
    ((landed, _),) = other_server.log
    assert "Authorization" not in landed.headers
    assert "X-Api-Key" not in landed.headers and "PRIVATE-TOKEN" not in landed.headers
    assert landed.headers["X-Trace"] == "kept"
    ((first, _),) = httpserver.log
    assert first.headers["Authorization"].startswith("Basic ")


def test_auth_objects_stay_behind_on_another_origin(
    httpserver: HTTPServer, other_server: HTTPServer, transport
) -> None:
    from cibridge.http.auth import HeaderAuth

    httpserver.expect_request("/a").respond_with_data(
        "", status=301, headers={"Location": other_server.url_for("/b")}
    )
    other_server.expect_request("/b").respond_with_data("b")
    transport().request(
        "GET", httpserver.url_for("/a"), auth=HeaderAuth("JOB-TOKEN", "job-1234"), what="T"
    )
    transport().request("HEAD", httpserver.url_for("/a"), auth=Bearer("bearer-1234"), what="T")
    assert [
        r.headers.get("JOB-TOKEN") or r.headers.get("Authorization") for r, _ in other_server.log
    ] == [None, None]
    assert [r.method for r, _ in other_server.log] == ["GET", "HEAD"]


def test_a_same_origin_redirect_keeps_the_credentials(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=308, headers={"Location": "/new"}
    )
    httpserver.expect_request(
        "/new", headers={"Authorization": "Bearer tok-1234"}
    ).respond_with_data("new")
    assert (
        transport()
        .request("GET", httpserver.url_for("/old"), auth=Bearer("tok-1234"), what="T")
        .text
        == "new"
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_never_follows_a_redirect(
    httpserver: HTTPServer, other_server: HTTPServer, transport, status: int, method: str
) -> None:
    httpserver.expect_request("/w").respond_with_data(
        "", status=status, headers={"Location": other_server.url_for("/secret/path")}
    )
    response = transport().request(
        method, httpserver.url_for("/w"), json={}, auth=Bearer("tok-1234"), what="T"
    )
    assert response.status == status
    assert response.headers["location"] == other_server.url_for("/secret/path")
    origin = other_server.url_for("/").rstrip("/")
    assert response.redirect_note() == (
        f"answered {status} redirect to {origin} (not followed for a write; update the URL)"
    )
    assert other_server.log == []


def test_redirect_note_variants() -> None:
    same = Response(307, b"", {"location": "/elsewhere?token=x"}, "https://h.example/a")
    assert same.redirect_note().startswith(
        "answered 307 redirect to another path on https://h.example ("
    )
    assert Response(304, b"", {}, "https://h.example/a").redirect_note() == "answered HTTP 304"
    assert Response(302, b"", {}, "https://h.example/a").redirect_note() == "answered HTTP 302"


def test_at_most_five_redirects(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    with pytest.raises(CibridgeError, match="more than 5 redirects") as caught:
        transport().request("GET", httpserver.url_for("/loop"), what="T")
    assert caught.value.exit_code == 1
    assert len(httpserver.log) == 6


def test_five_redirects_are_followed(httpserver: HTTPServer, transport) -> None:
    for hop in range(5):
        httpserver.expect_request(f"/{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/{hop + 1}"}
        )
    httpserver.expect_request("/5").respond_with_data("end")
    assert transport().request("GET", httpserver.url_for("/0"), what="T").text == "end"


def test_a_redirect_body_is_never_read(raw_server, transport) -> None:
    def redirect_then_hang(server: RawServer, conn: socket.socket) -> None:
        head = server.read_request(conn) or b""
        if b"GET /end" in head:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend")
        else:  # a body promised and never sent: reading it would hang until the deadline
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 1000000000\r\n\r\n"
            )
        server.stop.wait()

    server = raw_server(redirect_then_hang)
    assert transport(deadline=30.0).request("GET", f"{server.url}/start", what="T").text == "end"


def test_credentials_in_a_location_are_not_used(httpserver: HTTPServer, transport) -> None:
    target = httpserver.url_for("/in").replace("http://", "http://evil:creds@")
    httpserver.expect_request("/out").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    httpserver.expect_request("/in").respond_with_data("in")
    assert transport().request("GET", httpserver.url_for("/out"), what="T").text == "in"
    assert "Authorization" not in httpserver.log[-1][0].headers


def test_a_redirect_to_another_scheme_is_an_error(httpserver: HTTPServer, transport) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(
        CibridgeError, match="redirected to an address that is not an http"
    ) as caught:
        transport().request("GET", httpserver.url_for("/x"), what="T")
    assert caught.value.exit_code == 1


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, Path]]:
    server, cert_path = https_server(tmp_path_factory.mktemp("tls"), "cibridge test CA")
    server.expect_request("/tls").respond_with_data("secure")
    yield server, cert_path
    server.clear()
    server.stop()


def test_tls_fails_without_the_ca(tls_server: tuple[HTTPServer, Path], transport, waits) -> None:
    server, _ = tls_server
    url = server.url_for("/tls")
    assert url.startswith("https://127.0.0.1:")
    with pytest.raises(CibridgeError) as caught:
        transport().request("GET", _canary_url(url.removesuffix("/tls")), what="Jira")
    message = caught.value.message
    assert caught.value.exit_code == 1
    assert message.startswith(
        f"Jira: TLS error talking to {url.removesuffix('/tls')}: certificate verify failed"
    )
    assert "REQUESTS_CA_BUNDLE" in caught.value.hint
    assert not any(canary in str(caught.value) for canary in CANARIES)
    assert waits == []  # a certificate that failed will fail again


def test_tls_with_a_ca_bundle_file(tls_server: tuple[HTTPServer, Path]) -> None:
    server, cert = tls_server
    with Transport(HttpSettings.from_env({"REQUESTS_CA_BUNDLE": str(cert)})) as client:
        assert client.request("GET", server.url_for("/tls"), what="T").text == "secure"


def test_tls_with_a_ca_directory(tls_server: tuple[HTTPServer, Path], tmp_path: Path) -> None:
    server, cert = tls_server
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(cert, directory / "ca.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True, capture_output=True)
    with Transport(HttpSettings.from_env({"SSL_CERT_FILE": str(directory)})) as client:
        assert client.request("GET", server.url_for("/tls"), what="T").text == "secure"


# -- proxies -------------------------------------------------------------------------------


def test_http_proxy_from_the_environment_is_used(httpserver: HTTPServer) -> None:
    seen: list[str] = []

    def proxy(request: Request) -> WerkzeugResponse:
        seen.append(request.url)
        return WerkzeugResponse(json.dumps({"via": "proxy"}), content_type="application/json")

    httpserver.expect_request("/hook").respond_with_handler(proxy)
    settings = HttpSettings.from_env({"HTTP_PROXY": httpserver.url_for("/")})
    with Transport(settings) as client:
        response = client.request("POST", "http://chat.example.invalid/hook", json={}, what="T")
    assert response.json() == {"via": "proxy"}
    assert seen and "chat.example.invalid" in seen[0]


def test_no_proxy_cidr_bypasses_the_proxy(httpserver: HTTPServer, other_server: HTTPServer) -> None:
    httpserver.expect_request("/direct").respond_with_data("via proxy")
    other_server.expect_request("/direct").respond_with_data("direct")
    env = {"http_proxy": httpserver.url_for("/"), "NO_PROXY": "10.0.0.0/8, 127.0.0.0/8"}
    with Transport(HttpSettings.from_env(env)) as client:
        assert client.request("GET", other_server.url_for("/direct"), what="T").text == "direct"
    assert httpserver.log == []


# -- settings ------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    assert HttpSettings.from_env({}) == HttpSettings()
    settings = HttpSettings()
    assert (settings.retries, settings.max_wait, settings.deadline) == (3, 60.0, 60.0)
    assert (settings.connect_timeout, settings.read_timeout) == (5.0, 15.0)
    assert settings.max_body == 1_048_576 and settings.ca_bundle is None


def test_settings_from_the_environment(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("# comment\n-----BEGIN CERTIFICATE-----\n")
    settings = HttpSettings.from_env(
        {
            "CIBRIDGE_HTTP_RETRIES": " 0 ",
            "CIBRIDGE_HTTP_MAX_WAIT": "2.5",
            "CIBRIDGE_HTTP_DEADLINE": ".5",
            "SSL_CERT_FILE": "/nonexistent",  # REQUESTS_CA_BUNDLE comes first
            "REQUESTS_CA_BUNDLE": str(bundle),
            "HTTPS_PROXY": "http://upper.example:3128",
            "https_proxy": "http://lower.example:3128",
            "ALL_PROXY": "http://all.example:3128",
            "no_proxy": "internal.example",
        }
    )
    assert (settings.retries, settings.max_wait, settings.deadline) == (0, 2.5, 0.5)
    assert settings.ca_bundle == str(bundle)
    assert settings.proxies == {
        "http": "http://all.example:3128",
        "https": "http://lower.example:3128",
    }
    assert settings.no_proxy == "internal.example"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CIBRIDGE_HTTP_RETRIES", "abc"),
        ("CIBRIDGE_HTTP_RETRIES", "-1"),
        ("CIBRIDGE_HTTP_RETRIES", "1.5"),
        ("CIBRIDGE_HTTP_RETRIES", "²"),
        ("CIBRIDGE_HTTP_MAX_WAIT", "soon"),
        ("CIBRIDGE_HTTP_MAX_WAIT", "inf"),
        ("CIBRIDGE_HTTP_DEADLINE", "0"),
        ("CIBRIDGE_HTTP_DEADLINE", "nan"),
    ],
)
def test_bad_numbers_are_config_errors(name: str, value: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        HttpSettings.from_env({name: value})
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"{name}={value!r} is not")
    assert f"set {name} to" in caught.value.hint


def test_ca_bundle_problems_are_config_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate")
    for name, path, problem in [
        ("REQUESTS_CA_BUNDLE", tmp_path / "missing.pem", ": no such file or directory"),
        ("CURL_CA_BUNDLE", empty, " holds no PEM certificate"),
        ("SSL_CERT_FILE", Path("/dev/null"), " is neither a file nor a directory"),
    ]:
        with pytest.raises(CibridgeError) as caught:
            HttpSettings.from_env({name: str(path)})
        assert caught.value.exit_code == 2
        assert caught.value.message == f"{name}={str(path)!r}{problem}"
        assert name in caught.value.hint


def test_a_socks_proxy_is_a_config_error() -> None:
    with pytest.raises(CibridgeError, match="socks5 proxies are not supported") as caught:
        HttpSettings.from_env({"ALL_PROXY": "socks5://user:canarypass@proxy.example:1080"})
    assert caught.value.exit_code == 2 and "canarypass" not in str(caught.value)


def test_proxy_credentials_are_registered() -> None:
    Transport(
        HttpSettings.from_env({"HTTPS_PROXY": "http://proxyuser:proxy-pass-1@proxy.example:3128"})
    )
    assert redact.redact("proxy-pass-1 and proxyuser:proxy-pass-1") == "*** and ***"


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
