"""HTTP settings from the environment mapping (cibridge.http.settings): defaults, retries,
waits and deadlines, a private CA (file or directory), proxies; bad values are usage errors
naming the variable."""

from __future__ import annotations

import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Transport


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


# -- proxies -------------------------------------------------------------------------------


def test_a_lowercase_all_proxy_is_used_for_both_schemes() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a lower-case all_proxy is
    used for both schemes."""
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
    """Found by mutation testing (mutmut 3): nothing pinned down which proxies are accepted: no
    scheme (http), https, a scheme in capitals, and '://' later in the URL."""
    assert HttpSettings.from_env({"HTTPS_PROXY": value}).proxies == {"https": value}


def test_a_socks_proxy_is_a_config_error() -> None:
    with pytest.raises(CibridgeError, match="socks5 proxies are not supported") as caught:
        HttpSettings.from_env({"ALL_PROXY": "socks5://user:canarypass@proxy.example:1080"})
    assert caught.value.exit_code == 2 and "canarypass" not in str(caught.value)


# -- a private CA --------------------------------------------------------------------------


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


def test_a_huge_ca_bundle_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a CA bundle is checked by
    reading its start only, so a huge file is refused in little memory."""
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
