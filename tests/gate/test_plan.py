"""Rendering the configured checks: queries escaped, text values plain, ports numbers."""

from __future__ import annotations

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.gate import plan
from cibridge.gate.settings import GateSettings, HttpCheck
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


def _http(url: str, name: str = "health") -> GateSettings:
    return GateSettings(http=(HttpCheck(name=name, url=url, where=".cibridge.yml:7"),))


@pytest.mark.parametrize("value", ["127.0.0.1:8080/x#", "evil.example?", "user@evil.example",
                                   "evil.example#", "evil.example\\x", "a.example/"])  # fmt: skip
def test_a_value_in_the_host_cannot_change_the_host(value: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        plan.render(_http("http://{{ service_host }}/health"), {"service_host": value})
    message = caught.value.message
    assert message.startswith(".cibridge.yml:7 url of 'health': the value of {{ service_host }}")
    assert "lands in the URL's host and port" in message and value not in message
    assert caught.value.exit_code == 2 and "host:port only" in caught.value.hint


def test_a_value_in_the_path_query_or_fragment_is_percent_encoded() -> None:
    values = {"id": "a/../admin?x=1#", "env": "prod&debug=1", "dots": ".."}
    rendered = plan.render(
        _http("https://api.example/v1/{{ id }}/{{ dots }}?env={{ env }}#{{ env }}"), values
    )
    assert rendered.http[0].url == (
        "https://api.example/v1/a%2F..%2Fadmin%3Fx%3D1%23/%2E%2E?env=prod%26debug%3D1"
        "#prod%26debug%3D1"
    )


def test_a_value_the_url_starts_with_is_the_origin_the_config_chose() -> None:
    rendered = plan.render(_http("{{ base }}/health?probe={{ probe }}"), {
        "base": "https://checkout.internal:8443/api", "probe": "deep scan"[:4]})  # fmt: skip
    assert rendered.http[0].url == "https://checkout.internal:8443/api/health?probe=deep"
    scheme = plan.render(_http("{{ scheme }}://h.example/x"), {"scheme": "https"})
    assert scheme.http[0].url == "https://h.example/x"
    with pytest.raises(CibridgeError, match="is the URL's scheme but is not one"):
        plan.render(_http("{{ scheme }}://h.example/x"), {"scheme": "http://evil.example/#"})


def test_baseline_query_is_rendered_like_query() -> None:
    from dataclasses import replace

    from cibridge.gate.settings import Comparison
    from tests.gate.helpers import metric

    check = metric(
        query='latency{app="{{ service_name }}", version="canary"}',
        baseline_query='latency{app="{{ service_name }}", version="stable"}',
        comparison=Comparison(),
    )
    rendered = plan.render(GateSettings(metrics=(check,)), {"service_name": 'a"b'})
    assert rendered.metrics[0].baseline_query == 'latency{app="a\\"b", version="stable"}'
    assert rendered.metrics[0].query == 'latency{app="a\\"b", version="canary"}'
    only_baseline = replace(check, query='latency{version="canary"}')
    with pytest.raises(CibridgeError, match="baseline_query: placeholder") as caught:
        plan.render(GateSettings(metrics=(only_baseline,)), {})
    assert caught.value.exit_code == 2
