from __future__ import annotations

import json
import socket
import ssl
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge import __version__, http, redact
from cibridge.errors import CibridgeError


def test_user_agent_and_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/x", method="POST", headers={"User-Agent": f"cibridge/{__version__}"}, json={"a": "é"}
    ).respond_with_json({"ok": True})
    response = http.request("POST", httpserver.url_for("/x"), json={"a": "é"})
    assert response.status == 200 and response.json() == {"ok": True}


def test_get_is_retried_on_503_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data(
        "busy", status=503, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/r").respond_with_data("fine")
    response = http.request("GET", httpserver.url_for("/r"))
    assert response.text == "fine"
    assert len(httpserver.log) == 2


def test_post_is_not_retried_on_500(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/w", method="POST").respond_with_data("boom", status=500)
    response = http.request("POST", httpserver.url_for("/w"), json={})
    assert response.status == 500
    assert len(httpserver.log) == 1


def test_post_is_retried_on_429_honouring_retry_after(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(http.time, "sleep", waits.append)
    httpserver.expect_ordered_request("/w", method="POST").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/w", method="POST").respond_with_data("ok")
    response = http.request("POST", httpserver.url_for("/w"), json={})
    assert response.text == "ok"
    assert waits == [7.0]


def test_backoff_grows_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(http.time, "sleep", waits.append)
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "3")
    with pytest.raises(CibridgeError):
        http.request("GET", f"http://127.0.0.1:{_free_port()}/x")
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.25 * 2**attempt <= wait <= 0.5 * 2**attempt


def test_retry_after_above_the_bound_is_not_waited_for(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIBRIDGE_HTTP_MAX_WAIT", "5")
    httpserver.expect_request("/w").respond_with_data(
        "later", status=429, headers={"Retry-After": "600"}
    )
    response = http.request("POST", httpserver.url_for("/w"), json={})
    assert response.status == 429
    assert len(httpserver.log) == 1


def test_retry_after_http_date() -> None:
    from email.utils import formatdate

    assert (
        8
        <= (http.retry_after({"retry-after": formatdate(time.time() + 10, usegmt=True)}) or 0)
        <= 10
    )
    assert http.retry_after({"retry-after": "7"}) == 7
    assert http.retry_after({}) is None


def test_retries_are_bounded(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "2")
    httpserver.expect_request("/w").respond_with_data("x", status=429, headers={"Retry-After": "0"})
    assert http.request("POST", httpserver.url_for("/w")).status == 429
    assert len(httpserver.log) == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_is_exit_1_with_redacted_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "0")
    url = f"http://127.0.0.1:{_free_port()}/robot/send?access_token=leakme123"
    with pytest.raises(CibridgeError) as caught:
        http.request("POST", url, json={}, what="DingTalk")
    assert caught.value.exit_code == 1
    assert "DingTalk: cannot reach http://127.0.0.1:" in caught.value.message
    assert "leakme123" not in str(caught.value)
    assert "HTTPS_PROXY" in caught.value.hint


def test_timeout_is_reported(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "0")

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(CibridgeError, match="timed out after 1s"):
        http.request("POST", httpserver.url_for("/slow"), timeout=1)


def test_proxy_from_environment_is_used(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def proxy(request: Request) -> Response:
        seen.append(request.url)
        return Response(json.dumps({"via": "proxy"}), content_type="application/json")

    httpserver.expect_request("/hook").respond_with_handler(proxy)
    monkeypatch.setenv("http_proxy", httpserver.url_for("/"))
    monkeypatch.setenv("no_proxy", "")
    response = http.request("POST", "http://chat.example.invalid/hook", json={})
    assert response.json() == {"via": "proxy"}
    assert seen and "chat.example.invalid" in seen[0]


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_custom_ca_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "0")
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="localhost", ssl_context=context)
    server.start()
    try:
        server.expect_request("/tls").respond_with_data("secure")
        url = server.url_for("/tls")
        with pytest.raises(CibridgeError, match="TLS error"):
            http.request("GET", url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        assert http.request("GET", url).text == "secure"
    finally:
        server.stop()


def test_non_http_url_is_rejected() -> None:
    redact.register("file:///etc/passwd")
    with pytest.raises(CibridgeError, match="is not an http"):
        http.ensure_url("file:///etc/passwd", "Slack webhook_url")
