"""What the gate plans around a deploy (cibridge.gate.deploy_window): the silence's
matchers and how long the gate runs."""

from __future__ import annotations

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.gate.deploy_window import matchers, planned_seconds
from tests.gate.helpers import seed


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
