"""The transport (cibridge.http.transport) against loopback servers: requests as sent, URLs
and headers refused before sending, bodies and their cap, responses, redirects, and which
proxy a request goes through. The server harness is in conftest.py."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from cibridge import __version__
from cibridge.core import log, redact
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Bearer
from cibridge.http.transport import HttpSettings, Response, Transport
from tests.http.conftest import (
    CANARIES,
    RawServer,
    closed_port,
)

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


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("userinfo", "user", "password"),
    [("api-token-1", "api-token-1", ""), (":only-pass-1", "", "only-pass-1")],
)
def test_user_info_with_one_part_still_becomes_basic_auth(
    httpserver: HTTPServer, transport, userinfo: str, user: str, password: str
) -> None:
    """Found by mutation testing (mutmut 3): user info with only a user or only a password was
    not pinned down; it still becomes Basic auth."""
    httpserver.expect_request(
        "/api", headers={"Authorization": _basic(user, password)}
    ).respond_with_data("ok")
    httpserver.expect_request("/api").respond_with_data("no auth", status=401)
    url = httpserver.url_for("/api").replace("http://", f"http://{userinfo}@")
    with transport(retries=0) as client:
        assert client.request("GET", url, what="T").status == 200


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


def test_a_header_value_headers_cannot_carry_is_named(httpserver: HTTPServer, transport) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a header value with a
    character headers cannot carry (not latin-1) is refused with exit 2, naming the header,
    before anything is sent."""
    with transport(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request(
            "GET", httpserver.url_for("/x"), headers={"X-Api-Key": "tok€n-1234"}, what="T"
        )
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("T: the value of header X-Api-Key has")
    assert httpserver.log == []  # refused before anything was sent


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


def test_a_request_from_another_thread_works(httpserver: HTTPServer, transport) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a transport serves a
    request made from a thread other than the one that created it."""
    httpserver.expect_request("/x").respond_with_data("ok")
    results: list[Response | BaseException] = []

    def worker(client: Transport) -> None:
        try:
            results.append(client.request("GET", httpserver.url_for("/x"), what="T"))
        except BaseException as error:  # handed to the test's thread
            results.append(error)

    with transport(retries=0) as client:
        thread = threading.Thread(target=worker, args=(client,))
        thread.start()
        thread.join(timeout=30)
    assert len(results) == 1 and isinstance(results[0], Response), results
    assert results[0].text == "ok"


def test_a_longer_timeout_for_one_request_extends_its_deadline(
    httpserver: HTTPServer, transport
) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a longer timeout given
    for one request also extends its deadline."""

    def slow(_: Request) -> WerkzeugResponse:
        time.sleep(1.0)
        return WerkzeugResponse("late but fine")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with transport(retries=0, deadline=0.3) as client:
        response = client.request("GET", httpserver.url_for("/slow"), timeout=10.0, what="T")
    assert response.text == "late but fine"


# -- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "truncated"), [(999, False), (1000, False), (1001, True)])
def test_body_is_read_up_to_max_body(
    httpserver: HTTPServer, transport, size: int, truncated: bool
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * size)
    response = transport(max_body=1000).request("GET", httpserver.url_for("/big"), what="T")
    assert len(response.body) == min(size, 1000)
    assert response.truncated is truncated


def test_a_body_longer_than_one_read_is_kept_whole(httpserver: HTTPServer, transport) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a body longer than one
    read (several chunks, under the cap) is kept whole."""
    body = bytes(range(256)) * 800  # 200 KiB: several chunks, under the 1 MiB cap
    httpserver.expect_request("/big").respond_with_data(body)
    with transport(retries=0) as client:
        response = client.request("GET", httpserver.url_for("/big"), what="T")
    assert response.body == body and not response.truncated


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


def test_no_proxy_exempts_only_the_hosts_it_names(httpserver: HTTPServer) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that NO_PROXY exempts only the
    hosts it names; any other host still goes through the proxy."""
    seen: list[str] = []

    def proxy(request: Request) -> WerkzeugResponse:
        seen.append(request.url)
        return WerkzeugResponse("via proxy")

    httpserver.expect_request("/hook").respond_with_handler(proxy)
    env = {"HTTP_PROXY": httpserver.url_for("/"), "NO_PROXY": "internal.example"}
    with Transport(HttpSettings.from_env(env)) as client:
        response = client.request("POST", "http://chat.example.invalid/hook", json={}, what="T")
    assert response.text == "via proxy"
    assert seen and "chat.example.invalid" in seen[0]


def test_proxies_come_from_the_environment_mapping_only(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, transport
) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that the environment mapping
    the entry point passes down alone decides proxies; one only in os.environ is not used."""
    # A proxy in os.environ that the entry point did not pass down is not used.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    httpserver.expect_request("/direct").respond_with_data("direct")
    with transport(retries=0) as client:
        assert client.request("GET", httpserver.url_for("/direct"), what="T").text == "direct"


def test_proxy_credentials_are_registered() -> None:
    Transport(
        HttpSettings.from_env({"HTTPS_PROXY": "http://proxyuser:proxy-pass-1@proxy.example:3128"})
    )
    assert redact.redact("proxy-pass-1 and proxyuser:proxy-pass-1") == "*** and ***"


def test_a_proxy_address_is_not_a_secret_only_its_user_info() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that only a proxy's user info
    is registered as a secret, not its address."""
    proxy = "http://user:proxy-pw-77@proxy.example:3128/gateway-01a2b3c4d5"
    Transport(HttpSettings.from_env({"HTTPS_PROXY": proxy}))
    assert redact.redact("via /gateway-01a2b3c4d5") == "via /gateway-01a2b3c4d5"
    assert redact.redact("proxy-pw-77") == "***"


def test_stay_on_origin_returns_a_redirect_to_another_origin_unfollowed(
    httpserver: HTTPServer, other_server: HTTPServer, transport
) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(
        "", status=307, headers={"Location": other_server.url_for("/c")}
    )
    other_server.expect_request("/c").respond_with_data("c")
    response = transport().request(
        "GET", httpserver.url_for("/a"), headers={"X-Tenant": "a"}, what="T", stay_on_origin=True
    )
    assert response.status == 307 and response.url == httpserver.url_for("/b")
    assert response.redirect_target() == other_server.url_for("/").rstrip("/")
    assert other_server.log == []
