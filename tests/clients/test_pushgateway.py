"""The deploy marker and verdict in the Pushgateway: text format, group URLs, counters carried
across pushes, errors; then read back from a real Pushgateway."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.pushgateway import (
    Metric,
    deploy_metrics,
    exposition,
    group_path,
    push,
    push_deploy,
)
from cibridge.core.errors import CibridgeError
from cibridge.http.transport import Transport
from tests.e2e.harness import pushgateway


def test_exposition_escapes_label_values_and_spells_special_numbers() -> None:
    text = exposition(
        [
            Metric("m", "a \\ help\nline", samples=(({"v": 'a"b\\c\nd'}, 1.5),)),
            Metric("n", "h", "counter", (({}, math.nan), ({"x": "1"}, math.inf))),
        ]
    )
    assert text == (
        "# HELP m a \\\\ help\\nline\n# TYPE m gauge\n"
        'm{v="a\\"b\\\\c\\nd"} 1.5\n'
        "# HELP n h\n# TYPE n counter\nn NaN\n"
        'n{x="1"} +Inf\n'
    )


@pytest.mark.parametrize(
    ("metric", "problem"),
    [
        (Metric("bad-name", "h"), "not a metric name"),
        (Metric("m", "h", samples=(({"__reserved": "x"}, 1.0),)), "not a label name"),
        (Metric("m", "h", samples=(({"a-b": "x"}, 1.0),)), "not a label name"),
    ],
)
def test_exposition_refuses_names_prometheus_would_reject(metric: Metric, problem: str) -> None:
    with pytest.raises(CibridgeError, match=problem):
        exposition([metric])


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_group_path_encodes_what_a_path_segment_cannot_hold() -> None:
    assert group_path("cibridge_gate", {"service": "checkout"}) == (
        "/metrics/job/cibridge_gate/service/checkout"
    )
    assert group_path("ci/gate", {"service": "team/api", "env": "", "dc": "eu 1", "x": ".."}) == (
        f"/metrics/job@base64/{_b64('ci/gate')}/service@base64/{_b64('team/api')}"
        f"/env@base64/=/dc@base64/{_b64('eu 1')}/x@base64/{_b64('..')}"
    )


@pytest.mark.parametrize("label", ["result", "job", "__x", "a-b"])
def test_group_path_refuses_labels_that_clash_or_are_invalid(label: str) -> None:
    with pytest.raises(CibridgeError, match="cannot be a grouping label"):
        group_path("j", {label: "v"})


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


def test_push_puts_the_text_format(httpserver: HTTPServer, transport: Transport) -> None:
    httpserver.expect_oneshot_request(
        "/metrics/job/j/service/api",
        method="PUT",
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    ).respond_with_data("")
    push(transport, httpserver.url_for("/"), "/metrics/job/j/service/api", "m 1\n")
    assert httpserver.log[0][0].data == b"m 1\n"


def test_push_reports_the_pushgateways_words(httpserver: HTTPServer, transport: Transport) -> None:
    httpserver.expect_request("/metrics/job/j").respond_with_data(
        "pushed metrics are invalid or inconsistent with existing metrics", status=400
    )
    with pytest.raises(CibridgeError, match="HTTP 400: pushed metrics are invalid") as caught:
        push(transport, httpserver.url_for("/"), "/metrics/job/j", "m 1\n")
    assert caught.value.exit_code == 1


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
