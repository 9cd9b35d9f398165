"""The deploy marker and verdict in the Pushgateway: text format, group URLs, counters carried
across pushes, errors; then read back from a real Pushgateway."""

from __future__ import annotations

import base64
import math

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.pushgateway import Metric, exposition, group_path, push
from cibridge.core.errors import CibridgeError
from cibridge.gate.markers import OWN_LABELS
from cibridge.http.transport import Transport


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
        group_path("j", {label: "v"}, OWN_LABELS)
    if label != "result":  # the gate's own label; the client alone reserves only its own
        with pytest.raises(CibridgeError, match="cannot be a grouping label"):
            group_path("j", {label: "v"})


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
