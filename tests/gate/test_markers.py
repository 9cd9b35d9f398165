"""The deploy marker and verdict in the Pushgateway: text format, group URLs, counters carried
across pushes, errors; then read back from a real Pushgateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.pushgateway import exposition
from cibridge.core.errors import CibridgeError
from cibridge.gate.markers import deploy_metrics, push_deploy
from cibridge.http.transport import Transport
from tests.e2e.harness import pushgateway


def test_deploy_metrics_mark_the_verdict_and_action_one_hot() -> None:
    text = exposition(
        deploy_metrics(
            deployed_at=1_700_000_000, verdict="fail", action="rollback", finished_at=1_700_000_300
        )
    )
    assert "deploy_timestamp_seconds 1700000000.0\n" in text
    assert 'deploy_gate_result{result="fail"} 1.0\n' in text
    assert 'deploy_gate_result{result="pass"} 0.0\n' in text
    assert 'deploy_gate_result{result="inconclusive"} 0.0\n' in text
    assert 'deploy_gate_action{action="rollback"} 1.0\n' in text
    assert 'deploy_gate_action{action="none"} 0.0\n' in text
    assert "# TYPE deploy_gate_runs_total counter\n" in text


def test_deploy_metrics_refuse_an_unknown_verdict() -> None:
    with pytest.raises(CibridgeError, match="'maybe' is not one of"):
        deploy_metrics(deployed_at=1, verdict="maybe", action="none", finished_at=2)


def test_push_deploy_refuses_a_page_that_is_not_a_pushgateway(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_request("/api/v1/metrics").respond_with_data("<html>sign in</html>")
    with pytest.raises(CibridgeError, match="reading the current groups"):
        push_deploy(
            transport,
            httpserver.url_for("/"),
            service="api",
            deployed_at=1,
            verdict="pass",
            action="none",
        )
    assert [entry[0].method for entry in httpserver.log] == ["GET"]  # nothing pushed


def _read(transport: Transport, base: str) -> list[dict[str, object]]:
    groups: list[dict[str, object]] = transport.request(
        "GET", f"{base}/api/v1/metrics", what="Pushgateway"
    ).json()["data"]
    return groups


def _values(group: dict[str, object], name: str) -> dict[str, float]:
    family = group[name]
    assert isinstance(family, dict)
    return {
        json.dumps(sample["labels"], sort_keys=True): float(sample["value"])
        for sample in family["metrics"]
    }


def test_a_real_pushgateway_holds_the_marker_verdict_and_counts(
    tmp_path: Path, transport: Transport
) -> None:
    with pushgateway(tmp_path) as base:
        for verdict, action in (("pass", "none"), ("fail", "rollback"), ("pass", "none")):
            path = push_deploy(
                transport,
                base,
                service="team/checkout",
                deployed_at=1_700_000_000,
                verdict=verdict,
                action=action,
                finished_at=1_700_000_100,
                grouping={"env": "prod"},
            )
        assert path.startswith("/metrics/job/cibridge_gate/service@base64/")
        [group] = [g for g in _read(transport, base) if "deploy_gate_result" in g]
        assert group["labels"] == {
            "job": "cibridge_gate",
            "service": "team/checkout",
            "env": "prod",
        }
        labels = {"env": "prod", "instance": "", "job": "cibridge_gate", "service": "team/checkout"}
        key = json.dumps(labels, sort_keys=True)
        assert _values(group, "deploy_timestamp_seconds") == {key: 1_700_000_000}
        results = _values(group, "deploy_gate_result")
        assert results[json.dumps({**labels, "result": "pass"}, sort_keys=True)] == 1
        assert results[json.dumps({**labels, "result": "fail"}, sort_keys=True)] == 0
        assert _values(group, "deploy_gate_runs_total") == {key: 3}
        assert _values(group, "deploy_gate_failures_total") == {key: 1}
        scraped = transport.request("GET", f"{base}/metrics", what="Pushgateway").text
        assert (
            'deploy_gate_action{action="none",env="prod",instance="",job="cibridge_gate",service="team/checkout"} 1'
            in scraped
        )
