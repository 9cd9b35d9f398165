"""Where the gate's peers are (cibridge.gate.peers): URL, headers and auth from the config
or the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Bearer
from cibridge.http.transport import HttpSettings, Transport


@pytest.fixture
def transport() -> Iterator[Transport]:
    """One transport without retries; sleeps are skipped."""
    with Transport(HttpSettings(retries=0), sleep=lambda _: None) as client:
        yield client


def test_the_alertmanager_endpoint_comes_from_the_config_or_the_environment(
    tmp_path: Path, transport: Transport
) -> None:
    from cibridge.config import loader as config
    from cibridge.gate.peers import endpoint

    path = tmp_path / ".cibridge.yml"
    path.write_text(
        "integration_configs:\n  monitoring:\n    alertmanager:\n"
        "      url: https://am.example.com/\n      headers: {X-Scope-OrgID: team-a}\n"
    )
    configured = endpoint("alertmanager", config.load([path], {}), {}, transport)
    assert configured.url == "https://am.example.com"
    assert configured.headers == {"X-Scope-OrgID": "team-a"} and configured.auth is None
    env = {"ALERTMANAGER_URL": "http://127.0.0.1:9093", "ALERTMANAGER_TOKEN": "am-secret-1"}
    from_env = endpoint("alertmanager", config.load([], env), env, transport)
    assert from_env.url == "http://127.0.0.1:9093"
    assert isinstance(from_env.auth, Bearer)
    with pytest.raises(CibridgeError, match="--silence: no Alertmanager URL") as caught:
        endpoint("alertmanager", config.load([], {}), {}, transport)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ("", {"PUSHGATEWAY_URL": "pushgw:9091"}, "(environment variable PUSHGATEWAY_URL)"),
        (
            "integration_configs:\n  monitoring:\n    pushgateway:\n      base_url: pushgw:9091\n",
            {},
            ".cibridge.yml:4)",
        ),
        (
            "integration_configs:\n  monitoring:\n    pushgateway:\n      url: https://file\n",
            {"PUSHGATEWAY_URL": "pushgw:9091", "CIBRIDGE_GIVEN_INPUTS": "PUSHGATEWAY_URL"},
            "(the pushgateway-url input)",
        ),
    ],
)
def test_a_bad_peer_url_names_where_it_was_set(
    tmp_path: Path, transport: Transport, text: str, env: dict[str, str], named: str
) -> None:
    from cibridge.config import loader as config
    from cibridge.gate.peers import endpoint

    path = tmp_path / ".cibridge.yml"
    path.write_text(text)
    with pytest.raises(CibridgeError) as caught:
        endpoint("pushgateway", config.load([path], env), env, transport)
    assert caught.value.message.startswith("Pushgateway url (") and named in caught.value.message
