"""Behaviour of the HTTP layer (transport.py, transport_session.py, transport_faults.py) that
mutation testing (mutmut 3) showed no test pinned down: https requests get the same retries
as http, the environment mapping alone decides proxies, NO_PROXY only exempts what it
names, user info with one part missing, long bodies kept whole, and which faults are
configuration errors (exit 2) rather than failures (exit 1)."""

from __future__ import annotations

import base64
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Response, Transport
from tests.http.tls import https_server


def _client(**fields: object) -> Transport:
    return Transport(HttpSettings(**fields), sleep=lambda _: None, jitter=lambda: 0.0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, Path]]:
    """An https server on 127.0.0.1 and the CA file that trusts it."""
    server, cert_path = https_server(tmp_path_factory.mktemp("tls-mutants"), "cibridge mutants CA")
    yield server, cert_path
    server.clear()
    server.stop()


# -- https ---------------------------------------------------------------------------------


def test_https_gets_the_same_retries_as_http(tls: tuple[HTTPServer, Path]) -> None:
    server, cert = tls
    server.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    server.expect_ordered_request("/flaky").respond_with_data("fine")
    waits: list[float] = []
    settings = HttpSettings.from_env({"REQUESTS_CA_BUNDLE": str(cert)})
    with Transport(settings, sleep=waits.append, jitter=lambda: 0.0) as client:
        response = client.request("GET", server.url_for("/flaky"), what="T")
    assert (response.status, response.text) == (200, "fine")
    assert waits == [0.25]  # backed off once, with no Retry-After
    server.clear()


# -- proxies -------------------------------------------------------------------------------


def test_a_lowercase_all_proxy_is_used_for_both_schemes() -> None:
    settings = HttpSettings.from_env({"all_proxy": "http://all.example:3128"})
    assert settings.proxies == {
        "http": "http://all.example:3128",
        "https": "http://all.example:3128",
    }


@pytest.mark.parametrize(
    "value",
    [
        "proxy.example:3128",  # no scheme: an http proxy
        "https://proxy.example:3128",
        "HTTP://proxy.example:3128",
        "http://proxy.example:3128/?upstream=https://ci.example",
    ],
)
def test_http_and_https_proxies_are_accepted(value: str) -> None:
    assert HttpSettings.from_env({"HTTPS_PROXY": value}).proxies == {"https": value}


def test_no_proxy_exempts_only_the_hosts_it_names(httpserver: HTTPServer) -> None:
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
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy in os.environ that the entry point did not pass down is not used.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    httpserver.expect_request("/direct").respond_with_data("direct")
    with _client(retries=0) as client:
        assert client.request("GET", httpserver.url_for("/direct"), what="T").text == "direct"


def test_a_proxy_address_is_not_a_secret_only_its_user_info() -> None:
    proxy = "http://user:proxy-pw-77@proxy.example:3128/gateway-01a2b3c4d5"
    Transport(HttpSettings.from_env({"HTTPS_PROXY": proxy}))
    assert redact.redact("via /gateway-01a2b3c4d5") == "via /gateway-01a2b3c4d5"
    assert redact.redact("proxy-pw-77") == "***"


# -- requests and responses ----------------------------------------------------------------


def test_a_request_from_another_thread_works(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("ok")
    results: list[Response | BaseException] = []

    def worker(client: Transport) -> None:
        try:
            results.append(client.request("GET", httpserver.url_for("/x"), what="T"))
        except BaseException as error:  # handed to the test's thread
            results.append(error)

    with _client(retries=0) as client:
        thread = threading.Thread(target=worker, args=(client,))
        thread.start()
        thread.join(timeout=30)
    assert len(results) == 1 and isinstance(results[0], Response), results
    assert results[0].text == "ok"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("userinfo", "user", "password"),
    [("api-token-1", "api-token-1", ""), (":only-pass-1", "", "only-pass-1")],
)
def test_user_info_with_one_part_still_becomes_basic_auth(
    httpserver: HTTPServer, userinfo: str, user: str, password: str
) -> None:
    httpserver.expect_request(
        "/api", headers={"Authorization": _basic(user, password)}
    ).respond_with_data("ok")
    httpserver.expect_request("/api").respond_with_data("no auth", status=401)
    url = httpserver.url_for("/api").replace("http://", f"http://{userinfo}@")
    with _client(retries=0) as client:
        assert client.request("GET", url, what="T").status == 200


def test_a_body_longer_than_one_read_is_kept_whole(httpserver: HTTPServer) -> None:
    body = bytes(range(256)) * 800  # 200 KiB: several chunks, under the 1 MiB cap
    httpserver.expect_request("/big").respond_with_data(body)
    with _client(retries=0) as client:
        response = client.request("GET", httpserver.url_for("/big"), what="T")
    assert response.body == body and not response.truncated


def test_a_longer_timeout_for_one_request_extends_its_deadline(httpserver: HTTPServer) -> None:
    def slow(_: Request) -> WerkzeugResponse:
        time.sleep(1.0)
        return WerkzeugResponse("late but fine")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with _client(retries=0, deadline=0.3) as client:
        response = client.request("GET", httpserver.url_for("/slow"), timeout=10.0, what="T")
    assert response.text == "late but fine"


# -- configuration errors (exit 2) and failures (exit 1) -----------------------------------


def test_a_host_that_cannot_be_encoded_is_a_config_error() -> None:
    with _client(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request("GET", "http://bad..host/x", what="Jira")
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "Jira: the URL for GET is not usable (not shown: it may hold a secret)"
    )
    assert caught.value.hint == "check the URL's host and port"


@pytest.fixture
def redirect_to_bad_host() -> Iterator[str]:
    """A server answering every request with a redirect to a host IDNA cannot encode."""
    listener = socket.create_server(("127.0.0.1", 0))
    answer = b"HTTP/1.1 302 Found\r\nLocation: http://bad..host/x\r\nContent-Length: 0\r\n\r\n"

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(timeout=5)


def test_a_redirect_to_a_host_that_cannot_be_encoded_is_a_failure(
    redirect_to_bad_host: str,
) -> None:
    with _client(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request("GET", f"{redirect_to_bad_host}/moved", what="Jira")
    assert caught.value.exit_code == 1
    assert caught.value.message == (
        "Jira: GET http://bad..host redirected to an address that cannot be used"
    )


def test_a_header_value_headers_cannot_carry_is_named(httpserver: HTTPServer) -> None:
    with _client(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request(
            "GET", httpserver.url_for("/x"), headers={"X-Api-Key": "tok€n-1234"}, what="T"
        )
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("T: the value of header X-Api-Key has")
    assert httpserver.log == []  # refused before anything was sent


def test_a_huge_ca_bundle_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    bundle = tmp_path / "huge.pem"
    with bundle.open("wb") as handle:
        handle.truncate(64 << 20)  # sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(CibridgeError) as caught:
            HttpSettings.from_env({"REQUESTS_CA_BUNDLE": str(bundle)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.message == f"REQUESTS_CA_BUNDLE={str(bundle)!r} holds no PEM certificate"
    assert peak < 8 << 20
