"""Rendering the configured checks: queries escaped, text values plain, ports numbers."""

from __future__ import annotations

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.gate import plan
from tests.gate.helpers import seed

VALUES = {
    "service_name": "checkout",
    "service_url": "checkout.internal:8080",
    "service_host": "checkout.internal",
    "service_port": "8080",
}


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
