"""Rendering the configured checks: queries escaped, text values plain, ports numbers."""

from __future__ import annotations

import pytest

from cibridge.config import loader as config
from cibridge.core.errors import CibridgeError
from cibridge.gate import plan
from cibridge.gate.deploy_window import matchers, planned_seconds
from cibridge.gate.settings import GateSettings, load
from tests.conftest import SEED

VALUES = {
    "service_name": "checkout",
    "service_url": "checkout.internal:8080",
    "service_host": "checkout.internal",
    "service_port": "8080",
}


def seed() -> GateSettings:
    return load(config.load([SEED / "post-deployment-validation.yml"], {}))


def test_the_seed_renders() -> None:
    rendered = plan.render(seed(), VALUES)
    assert rendered.metrics[0].query == 'up{job="checkout"}'
    assert rendered.http[0].url == "http://checkout.internal:8080/health"
    assert rendered.http[0].name == "GET http://checkout.internal:8080/health"
    assert (rendered.tcp[0].host, rendered.tcp[0].port) == ("checkout.internal", "8080")
    assert rendered.tcp[0].name == "tcp checkout.internal:8080"
    assert rendered.rollback.rollback_pipeline == "rollback-checkout"


@pytest.mark.parametrize("port", ["80a", "0", "70000", "-1"])
def test_ports_must_be_ports(port: str) -> None:
    with pytest.raises(CibridgeError, match="not a port number") as caught:
        plan.render(seed(), {**VALUES, "service_port": port})
    assert caught.value.exit_code == 2


def test_a_url_value_with_a_line_break_is_refused() -> None:
    with pytest.raises(CibridgeError, match="space or control character"):
        plan.render(seed(), {**VALUES, "service_url": "x\r\nHost: evil"})


def test_silence_matchers() -> None:
    assert matchers([], {"service_name": "checkout"}) == {"service": "checkout"}
    assert matchers(["team=pay\nenv=prod", "a=b,c=d"], {}) == {
        "team": "pay",
        "env": "prod",
        "a": "b",
        "c": "d",
    }
    with pytest.raises(CibridgeError, match="no service_name and no --silence-matcher"):
        matchers([], {})
    with pytest.raises(CibridgeError, match="is not NAME=VALUE"):
        matchers(["team"], {})


def test_planned_seconds_cover_the_longest_window_and_the_health_checks() -> None:
    gate = seed()
    # 5m window; HTTP 30s x 4 attempts + backoff 1+2+4(=8 budgeted); TCP 10s x 4 + 8.
    assert planned_seconds(gate) == 300 + (120 + 8) + (40 + 8)
