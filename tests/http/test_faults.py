"""Transport faults as messages (cibridge.http.faults): exit codes, hints, the origin named
and nothing secret shown, for refused, silent, broken, TLS, DNS and proxy failures. The
server harness is in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.core import log
from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Transport
from tests.http.conftest import (
    CANARIES,
    answer,
    canary_url,
    closed_port,
    silent,
)


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
                "POST", canary_url(base), json={}, what="Webhook"
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


def test_tls_fails_without_the_ca(tls_server: tuple[HTTPServer, Path], transport, waits) -> None:
    server, _ = tls_server
    url = server.url_for("/tls")
    assert url.startswith("https://127.0.0.1:")
    with pytest.raises(CibridgeError) as caught:
        transport().request("GET", canary_url(url.removesuffix("/tls")), what="Jira")
    message = caught.value.message
    assert caught.value.exit_code == 1
    assert message.startswith(
        f"Jira: TLS error talking to {url.removesuffix('/tls')}: certificate verify failed"
    )
    assert "REQUESTS_CA_BUNDLE" in caught.value.hint
    assert not any(canary in str(caught.value) for canary in CANARIES)
    assert waits == []  # a certificate that failed will fail again


# -- configuration errors (exit 2) and failures (exit 1) -----------------------------------


def test_a_host_that_cannot_be_encoded_is_a_config_error(transport) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a host IDNA cannot encode
    is a configuration error (exit 2), not a failure."""
    with transport(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request("GET", "http://bad..host/x", what="Jira")
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "Jira: the URL for GET is not usable (not shown: it may hold a secret)"
    )
    assert caught.value.hint == "check the URL's host and port"


@pytest.fixture
def redirect_to_bad_host(raw_server) -> str:
    """A server answering every request with a redirect to a host IDNA cannot encode."""
    redirect = b"HTTP/1.1 302 Found\r\nLocation: http://bad..host/x\r\nContent-Length: 0\r\n\r\n"
    return raw_server(answer(redirect)).url


def test_a_redirect_to_a_host_that_cannot_be_encoded_is_a_failure(
    redirect_to_bad_host: str, transport
) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a redirect to such a host
    is a failure (exit 1): the server sent it, not the configuration."""
    with transport(retries=0) as client, pytest.raises(CibridgeError) as caught:
        client.request("GET", f"{redirect_to_bad_host}/moved", what="Jira")
    assert caught.value.exit_code == 1
    assert caught.value.message == (
        "Jira: GET http://bad..host redirected to an address that cannot be used"
    )
