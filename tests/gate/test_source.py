"""Where Prometheus is: URL, auth, tenant and other headers, CA, timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.config import loader as config
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.gate import source
from cibridge.http.auth import Basic, Bearer
from cibridge.http.transport import HttpSettings, Transport

TRANSPORT = Transport(HttpSettings())


def load(tmp_path: Path, text: str, env: dict[str, str]) -> config.Config:
    path = tmp_path / ".cibridge.yml"
    path.write_text(text, encoding="utf-8")
    return config.load([path], env)


def test_the_seeds_grouped_style(tmp_path: Path) -> None:
    env = {"PROMETHEUS_PASSWORD": "pw-from-secret-1"}
    cfg = load(
        tmp_path,
        "integration_configs:\n  monitoring:\n    prometheus:\n      enabled: true\n"
        "      url: 'http://prometheus:9090/'\n      timeout: 20s\n      tenant: team-a\n"
        "      auth: {type: basic, username: monitor, password_ref: prometheus-password}\n",
        env,
    )
    client, transport = source.client(cfg, env, TRANSPORT)
    assert client.base_url == "http://prometheus:9090" and client.timeout == 20
    assert isinstance(client.auth, Basic) and client.auth.user == "monitor"
    assert client.headers == {"X-Scope-OrgID": "team-a"} and transport is TRANSPORT
    assert redact.redact("pw-from-secret-1") != "pw-from-secret-1"


def test_the_seeds_auth_style_and_environment(tmp_path: Path) -> None:
    env = {"PROMETHEUS_URL": "https://prom.example.com", "PROMETHEUS_PASSWORD": "pw-2"}
    cfg = load(
        tmp_path,
        "integrations:\n  prometheus:\n    type: basic_auth\n    username: ci-cd-monitor\n"
        "    password: ${PROMETHEUS_PASSWORD}\n",
        env,
    )
    client, _ = source.client(cfg, env, TRANSPORT)
    assert client.base_url == "https://prom.example.com" and isinstance(client.auth, Basic)
    token_only = {"PROMETHEUS_URL": "https://prom.example.com", "PROMETHEUS_TOKEN": "tok-3"}
    client, _ = source.client(config.load([], token_only), token_only, TRANSPORT)
    assert isinstance(client.auth, Bearer)


def test_headers_resolve_variables_and_a_private_ca_gets_its_own_transport(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    env = {"THANOS": "tenant-b", "API_KEY": "key-value-4"}
    cfg = load(
        tmp_path,
        "integration_configs:\n  monitoring:\n    prometheus:\n      url: https://thanos\n"
        f"      ca_bundle: {ca}\n"
        "      headers: {THANOS-TENANT: '${THANOS}', X-Api-Key: '${API_KEY}'}\n",
        env,
    )
    client, transport = source.client(cfg, env, TRANSPORT)
    assert client.headers == {"THANOS-TENANT": "tenant-b", "X-Api-Key": "key-value-4"}
    assert transport is not TRANSPORT and transport.settings.ca_bundle == str(ca)
    assert "key-value-4" not in redact.redact("key-value-4")


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("notify: {}\n", {}, "Prometheus: no URL is configured"),
        ("notify: {}\n", {"PROMETHEUS_URL": "prometheus:9090"}, "http"),
        (
            "integration_configs: {monitoring: {prometheus: {url: 'http://p', ca_bundle: /nope.pem}}}\n",
            {},
            "ca_bundle /nope.pem",
        ),
        (
            "integration_configs: {monitoring: {prometheus: {url: 'http://p', timeout: soon}}}\n",
            {},
            "'soon' is not a duration",
        ),
        (
            "integration_configs: {monitoring: {prometheus: {url: 'http://p', timeout: 1e12}}}\n",
            {},
            "is more than a day",  # the socket timers would overflow
        ),
        (
            "integration_configs: {monitoring: {prometheus: {url: 'http://p', enabled: false}}}\n",
            {},
            "Prometheus is disabled",
        ),
    ],
)
def test_problems_are_usage_errors(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(CibridgeError, match=message) as caught:
        source.client(load(tmp_path, text, env), env, TRANSPORT)
    assert caught.value.exit_code == 2


FILE_URL = (
    "integration_configs:\n  monitoring:\n    prometheus:\n      url: http://from-file:9090\n"
)


@pytest.mark.parametrize(
    ("env", "base", "where"),
    [
        # The step's input beats the file ...
        (
            {"PROMETHEUS_URL": "http://from-input:9090", "CIBRIDGE_GIVEN_INPUTS": "PROMETHEUS_URL"},
            "http://from-input:9090",
            "the prometheus-url input",
        ),
        # ... and the file beats the same variable set on the job.
        ({"PROMETHEUS_URL": "http://from-job:9090"}, "http://from-file:9090", ".cibridge.yml:4"),
    ],
)
def test_an_input_then_the_file_then_the_environment(
    tmp_path: Path, env: dict[str, str], base: str, where: str
) -> None:
    cfg = load(tmp_path, FILE_URL, env)
    client, _ = source.client(cfg, env, TRANSPORT)
    assert client.base_url == base
    assert client.url_from.endswith(where)


def test_a_url_from_the_environment_says_which_variable(tmp_path: Path) -> None:
    env = {"PROMETHEUS_URL": "http://from-job:9090"}
    client, _ = source.client(config.load([], env), env, TRANSPORT)
    assert client.url_from == "environment variable PROMETHEUS_URL"
