"""The Prometheus client against a server answering with Prometheus's real response shapes
(copied from Prometheus 2.42): results parsed, errors carried with Prometheus's words."""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.clients.prometheus import PrometheusClient, QueryError
from cibridge.http.auth import Bearer
from cibridge.http.transport import HttpSettings, Transport

VECTOR = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [
            {
                "metric": {"__name__": "up", "instance": "b:9090", "job": "api"},
                "value": [1795859535.079, "NaN"],
            },
            {
                "metric": {"__name__": "up", "instance": "a:9090", "job": "api"},
                "value": [1795859535.079, "1"],
            },
        ],
    },
}
MATRIX = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"job": "self"},
                "values": [
                    [1795859535.993, "1"],
                    [1795859536.993, "+Inf"],
                    [1795859537.993, "-Inf"],
                ],
            }
        ],
    },
    "warnings": ["remote read: partial response"],
}
BAD_DATA = {
    "status": "error",
    "errorType": "bad_data",
    "error": 'invalid parameter "query": 1:13: parse error: ranges only allowed for vector selectors',
}


def client(server: HTTPServer, **kwargs: object) -> PrometheusClient:
    transport = Transport(HttpSettings(retries=0))
    return PrometheusClient(transport, server.url_for("/prom/"), **kwargs)  # type: ignore[arg-type]


def test_vector_series_keep_their_labels_and_nan(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/prom/api/v1/query", query_string={"query": "up", "time": "100.000"}
    ).respond_with_json(VECTOR)
    answer = client(httpserver).instant("up", 100.0)
    first, second = answer.series
    assert dict(first.labels)["instance"] == "b:9090" and math.isnan(first.points[0][1])
    assert second.points == [(1795859535.079, 1.0)]


def test_scalar_and_matrix(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/prom/api/v1/query").respond_with_json(
        {"status": "success", "data": {"resultType": "scalar", "result": [1795859535.09, "0.25"]}}
    )
    assert client(httpserver).instant("scalar(up)").series[0].points == [(1795859535.09, 0.25)]
    httpserver.clear()
    httpserver.expect_request(
        "/prom/api/v1/query_range",
        query_string={"query": "up", "start": "10.000", "end": "70.000", "step": "30"},
    ).respond_with_json(MATRIX)
    answer = client(httpserver).range("up", 10, 70, 30)
    assert [p[1] for p in answer.series[0].points] == [1.0, math.inf, -math.inf]
    assert answer.warnings == ["remote read: partial response"]


def test_an_instant_range_vector_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/prom/api/v1/query").respond_with_json(MATRIX)
    with pytest.raises(QueryError, match="range vector") as caught:
        client(httpserver).instant("up[3s]")
    assert caught.value.kind == "bad_result"


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            400,
            BAD_DATA,
            "bad_data",
            'HTTP 400 bad_data: invalid parameter "query": 1:13: parse error',
        ),
        (
            422,
            {
                "status": "error",
                "errorType": "execution",
                "error": "query processing would load too many samples into memory in query execution",
            },
            "execution",
            "too many samples",
        ),
        (
            503,
            {
                "status": "error",
                "errorType": "timeout",
                "error": "query timed out in expression evaluation",
            },
            "timeout",
            "timed out",
        ),
        (
            503,
            {"status": "error", "errorType": "unavailable", "error": "TSDB not ready"},
            "unavailable",
            "TSDB not ready",
        ),
    ],
)
def test_prometheus_errors_carry_its_message(
    httpserver: HTTPServer, status: int, body: dict[str, object], kind: str, message: str
) -> None:
    httpserver.expect_request("/prom/api/v1/query").respond_with_json(body, status=status)
    with pytest.raises(QueryError) as caught:
        client(httpserver).instant("q")
    assert caught.value.kind == kind and message in caught.value.message


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, "<html>Sign in</html>", "not_json"),
        (502, "Bad Gateway", "not_json"),
        (401, "Unauthorized", "auth"),
        (404, "404 page not found", "not_found"),
    ],
)
def test_answers_that_are_not_prometheus(
    httpserver: HTTPServer, status: int, body: str, kind: str
) -> None:
    httpserver.expect_request("/prom/api/v1/query").respond_with_data(body, status=status)
    with pytest.raises(QueryError) as caught:
        client(httpserver).instant("q")
    assert caught.value.kind == kind and caught.value.hint


def test_unreachable_is_an_error_not_a_crash() -> None:
    transport = Transport(HttpSettings(retries=0, connect_timeout=1))
    prometheus = PrometheusClient(transport, "http://127.0.0.1:9")
    with pytest.raises(QueryError, match="unreachable") as caught:
        prometheus.instant("up")
    assert caught.value.kind == "unreachable"


def test_headers_auth_timeout_and_post_for_long_queries(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps(VECTOR), content_type="application/json")

    httpserver.expect_request("/prom/api/v1/query").respond_with_handler(answer)
    prometheus = client(
        httpserver,
        auth=Bearer("prom-token-1"),
        headers={"X-Scope-OrgID": "team-a"},
        timeout=20.0,
        post_over=300,
    )
    prometheus.instant("up")
    long_query = "sum(" + " + ".join(f'up{{job="j{i}"}}' for i in range(40)) + ")"
    prometheus.instant(long_query)
    short, long = seen
    assert short.method == "GET" and short.args["timeout"] == "20s"
    assert short.headers["Authorization"] == "Bearer prom-token-1"
    assert short.headers["X-Scope-OrgID"] == "team-a"
    assert (
        long.method == "POST"
        and long.headers["Content-Type"] == "application/x-www-form-urlencoded"
    )
    assert parse_qs(long.get_data(as_text=True))["query"] == [long_query]
    assert long.headers["X-Scope-OrgID"] == "team-a"


def test_a_fractional_timeout_is_sent_as_prometheus_reads_a_duration(
    httpserver: HTTPServer,
) -> None:
    # Prometheus answers bad_data to timeout=0.5s: its durations have no fractions.
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps(VECTOR), content_type="application/json")

    httpserver.expect_request("/prom/api/v1/query").respond_with_handler(answer)
    client(httpserver, timeout=0.5).instant("up")
    assert seen[0].args["timeout"] == "500ms"
