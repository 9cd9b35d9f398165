"""`cibridge gate` end to end against a Prometheus-like server answering with the real API's
shapes, and against the real Prometheus binary: outputs, exit codes, reports."""

from __future__ import annotations

import json
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import FIXTURES
from tests.e2e.harness import prometheus

SEED_GATE = """post_deployment_validation:
  metrics_validation:
    - name: "service_availability"
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      tolerance: 0
      duration: "5m"
      failure_action: "rollback"
    - name: "response_time"
      query: 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{job="{{service_name}}"})[5m]))'
      max_value: 0.5
      duration: "5m"
      failure_action: "alert"
    - name: "error_rate"
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."})[5m]) / sum(rate(http_requests_total{job="{{service_name}}"})[5m])'
      max_value: 0.01
      duration: "5m"
      failure_action: "rollback"
  rollback_policy:
    enabled: true
    max_failures: 3
    rollback_pipeline: "rollback-{{service_name}}"
"""
BAD_DATA = {
    "status": "error",
    "errorType": "bad_data",
    "error": 'invalid parameter "query": 1:57: parse error: ranges only allowed for vector selectors',
}


def outputs(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in text.splitlines()
        if "=" in line and " " not in line.split("=")[0]
    )


class FakePrometheus:
    """Answers each query with ``answers[query substring]``; the seed's range-after-rate
    queries get Prometheus's real 400 bad_data body."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.queries: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.queries.append(request)
        query = request.values["query"]
        if ")[5m]" in query:
            return Response(json.dumps(BAD_DATA), status=400, content_type="application/json")
        value = next((v for k, v in self.values.items() if k in query), None)
        series = (
            []
            if value is None
            else [
                {
                    "metric": {"job": "checkout"},
                    "value": [float(request.values.get("time", 0) or 0), value],
                }
            ]
        )
        if request.path.endswith("query_range"):
            start, end, step = (float(request.values[k]) for k in ("start", "end", "step"))
            points = []
            at = start
            while at <= end:
                points.append([at, value])
                at += step
            body = {
                "resultType": "matrix",
                "result": []
                if value is None
                else [{"metric": {"job": "checkout"}, "values": points}],
            }
        else:
            body = {"resultType": "vector", "result": series}
        return Response(
            json.dumps({"status": "success", "data": body}), content_type="application/json"
        )


def serve(httpserver: HTTPServer, values: dict[str, str]) -> FakePrometheus:
    fake = FakePrometheus(values)
    httpserver.expect_request("/api/v1/query").respond_with_handler(fake)
    httpserver.expect_request("/api/v1/query_range").respond_with_handler(fake)
    return fake


def config(tmp_path: Path, text: str) -> None:
    (tmp_path / ".cibridge.yml").write_text(text, encoding="utf-8")


def gate_config(checks: str, extra: str = "") -> str:
    return f"post_deployment_validation:\n  metrics_validation:\n{checks}{extra}"


PASSING = """    - name: availability
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      duration: 5m
      failure_action: rollback
    - name: errors
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."}[5m])) / sum(rate(http_requests_total{job="{{service_name}}"}[5m]))'
      max_value: 0.01
      duration: 5m
      failure_action: rollback
"""


def test_seed_queries_are_errors_with_prometheus_message_never_rollback(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"up": "1"})
    config(tmp_path, SEED_GATE)
    result = cli(
        "gate",
        "--set",
        "service_name=checkout",
        "--deployed-at=-1h",
        "--report",
        "r.json",
        "--junit",
        "j.xml",
        env={"PROMETHEUS_URL": httpserver.url_for("/")},
    )
    assert result.code == 1
    out = outputs(result.out)
    assert out["result"] == "error" and out["action"] == "alert" and out["rollback-pipeline"] == ""
    assert "parse error: ranges only allowed for vector selectors" in result.err
    assert "error_rate: error" in result.err
    report = json.loads((tmp_path / "r.json").read_text())
    verdicts = {c["name"]: c["verdict"] for c in report["checks"]}
    assert verdicts == {
        "service_availability": "pass",
        "response_time": "error",
        "error_rate": "error",
    }
    assert out["report"] == "r.json"
    suite = ET.parse(tmp_path / "j.xml").getroot()  # noqa: S314 - our own output
    failures = [
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    ]
    skipped = [
        case.get("name") for case in suite.iter("testcase") if case.find("skipped") is not None
    ]
    assert failures == ["error_rate"] and skipped == ["response_time"]


def test_a_passing_window_from_history(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = serve(httpserver, {"up": "1", "http_requests_total": "0.002"})
    config(tmp_path, gate_config(PASSING))
    result = cli(
        "gate",
        "--set",
        "service_name=checkout",
        "--deployed-at",
        "30m ago",
        env={"PROMETHEUS_URL": httpserver.url_for("/")},
    )
    assert result.code == 0, result.all
    assert outputs(result.out)["result"] == "pass" and outputs(result.out)["action"] == "none"
    assert [q.path for q in fake.queries] == ["/api/v1/query_range"] * 2
    assert 'job="checkout"' in fake.queries[0].values["query"]
    assert "11 observation(s) from history" in result.out


def test_a_regression_fires_the_rollback(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"up": "1", "http_requests_total": "0.2"})
    config(
        tmp_path,
        gate_config(
            PASSING,
            "  rollback_policy: {enabled: true, max_failures: 3, rollback_pipeline: 'rollback-{{service_name}}'}\n",
        ),
    )
    result = cli(
        "gate",
        "--set",
        "service_name=checkout",
        "--deployed-at",
        "30m ago",
        "--report",
        "r.json",
        env={"PROMETHEUS_URL": httpserver.url_for("/")},
    )
    assert result.code == 1
    out = outputs(result.out)
    assert out["result"] == "fail" and out["action"] == "rollback"
    assert out["rollback-pipeline"] == "rollback-checkout"
    errors = json.loads((tmp_path / "r.json").read_text())["checks"][1]
    assert errors["failed_observations"] == 11  # the whole window, read from history
    assert errors["observations"][0]["offenders"] == ['{job="checkout"}: 0.2 > max_value 0.01']
    assert "errors: fail — 0.2 > max_value 0.01" in result.err


def test_alert_only_failure_exits_0(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"latency": "0.9"})
    config(
        tmp_path,
        gate_config(
            "    - {name: latency, query: 'latency', max_value: 0.5, failure_action: alert}\n"
        ),
    )
    result = cli("gate", env={"PROMETHEUS_URL": httpserver.url_for("/")})
    assert result.code == 0
    assert outputs(result.out)["result"] == "pass" and outputs(result.out)["action"] == "alert"
    assert "warning: latency: fail — 0.9 > max_value 0.5" in result.err


def test_warnings_are_shown(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0"]}]},
        "warnings": ["PromQL info: metric might not be a counter"],
    }
    httpserver.expect_request("/api/v1/query").respond_with_json(body)
    config(
        tmp_path,
        gate_config(
            "    - {name: errs, query: 'rate(x[5m])', max_value: 1, failure_action: alert, on_no_data: fail}\n"
        ),
    )
    result = cli("gate", env={"PROMETHEUS_URL": httpserver.url_for("/")})
    assert result.code == 0
    assert (
        "warning: errs: Prometheus warning: PromQL info: metric might not be a counter"
        in result.err
    )


def test_unreachable_prometheus_is_error_exit_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    result = cli(
        "gate",
        "--set",
        "service_name=x",
        "--deployed-at=-1h",
        env={"PROMETHEUS_URL": "http://127.0.0.1:9", "CIBRIDGE_HTTP_RETRIES": "0"},
    )
    assert result.code == 1 and outputs(result.out)["result"] == "error"
    assert "Prometheus is unreachable (its URL is from environment variable PROMETHEUS_URL)" in (
        result.err
    )


def test_unreachable_prometheus_names_the_line_of_the_file_that_set_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(
        tmp_path,
        "integration_configs:\n  monitoring:\n    prometheus:\n      url: http://127.0.0.1:9\n"
        + gate_config(PASSING),
    )
    result = cli(
        "gate", "--set", "service_name=x", "--deployed-at=-1h", env={"CIBRIDGE_HTTP_RETRIES": "0"}
    )
    assert result.code == 1
    assert "Prometheus is unreachable (its URL is from " in result.err
    assert ".cibridge.yml:4)" in result.err


@pytest.mark.parametrize(
    ("text", "argv", "message"),
    [
        (gate_config(PASSING), [], "{{ service_name }} has no value"),
        (gate_config("    - {name: a, query: up, max_value: lots}\n"), [], "max_value is 'lots'"),
        ("notify: {}\n", [], "post_deployment_validation has no checks"),
        (
            gate_config(PASSING),
            ["--set", "service_name=x", "--deployed-at", "yesterday"],
            "--deployed-at 'yesterday'",
        ),
        (
            gate_config(PASSING),
            ["--set", "service_name=x", "--deployed-at", "2999-01-01T00:00:00Z"],
            "is in the future",
        ),
        (
            gate_config("    - {name: a, query: 'up{job=\"{{ s }}\"}', max_value: 1}\n"),
            ["--set", "s=x"],
            "no URL is configured",
        ),
    ],
)
def test_configuration_problems_exit_2(
    cli, tmp_path: Path, text: str, argv: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, text)
    result = cli("gate", *argv)
    assert result.code == 2, result.all
    assert message in result.err
    assert outputs(result.out)["result"] == "error"


def test_dry_run_shows_the_rendered_plan_and_sends_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, SEED_GATE)
    result = cli("gate", "--dry-run", "--set", 'service_name=check"out')
    assert result.code == 0
    assert 'up{job="check\\"out"}' in result.out
    assert 'rollback after 3 failed observation(s): rollback-check"out' in result.out
    assert "would query up" in result.out
    # Nothing was observed: no verdict, never a pass.
    assert outputs(result.out)["result"] == "dry-run"


def test_basic_auth_and_tenant_header_from_the_config(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(
            json.dumps(
                {
                    "status": "success",
                    "data": {
                        "resultType": "vector",
                        # Stamped with the evaluation time, as Prometheus stamps an instant query.
                        "result": [{"metric": {}, "value": [float(request.values["time"]), "1"]}],
                    },
                }
            ),
            content_type="application/json",
        )

    httpserver.expect_request("/prom/api/v1/query").respond_with_handler(answer)
    config(
        tmp_path,
        "integration_configs:\n  monitoring:\n    prometheus:\n      url: "
        + httpserver.url_for("/prom")
        + "\n"
        "      tenant: team-a\n      headers: {X-Extra: '${EXTRA}'}\n"
        "      auth: {type: basic, username: monitor, password_ref: prometheus-password}\n"
        + gate_config("    - {name: up, query: up, expected_value: 1}\n"),
    )
    result = cli("gate", env={"PROMETHEUS_PASSWORD": "s3cr3t-prom-pw", "EXTRA": "yes"})
    assert result.code == 0, result.all
    assert seen[0].authorization is not None and seen[0].authorization.password == "s3cr3t-prom-pw"
    assert seen[0].headers["X-Scope-OrgID"] == "team-a" and seen[0].headers["X-Extra"] == "yes"
    assert "s3cr3t-prom-pw" not in result.all


def test_against_the_real_prometheus(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The seed's `rate(...)[5m]` queries are refused by Prometheus itself (bad_data), and a
    valid query about Prometheus's own scrape passes."""
    with prometheus(tmp_path) as base:
        deadline = time.monotonic() + 30
        checks = """    - name: availability
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      failure_action: rollback
      duration: 2s
      interval: 1s
    - name: error_rate
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."})[5m]) / sum(rate(http_requests_total{job="{{service_name}}"})[5m])'
      max_value: 0.01
      failure_action: rollback
    - name: label_round_trip
      query: 'label_replace(vector(1), "svc", "{{service_name}}", "", "")'
      expected_value: 1
      failure_action: alert
"""
        config(tmp_path, gate_config(checks))
        while True:  # the first scrape lands a moment after Prometheus is ready
            result = cli(
                "gate",
                "--set",
                "service_name=self",
                "--report",
                "r.json",
                env={"PROMETHEUS_URL": base},
            )
            report = json.loads((tmp_path / "r.json").read_text())
            if report["checks"][0]["verdict"] == "pass" or time.monotonic() > deadline:
                break
        verdicts = {c["name"]: c for c in report["checks"]}
        assert verdicts["availability"]["verdict"] == "pass"
        assert verdicts["error_rate"]["verdict"] == "error"
        assert (
            "bad_data" in verdicts["error_rate"]["why"]
            and "ranges only allowed for vector selectors" in verdicts["error_rate"]["why"]
        )
        assert verdicts["label_round_trip"]["verdict"] == "pass"
        assert result.code == 1 and outputs(result.out)["action"] == "alert"
        hostile = 'a"}) or vector(1) #\\'
        result = cli(
            "gate",
            "--set",
            f"service_name={hostile}",
            "--report",
            "r.json",
            env={"PROMETHEUS_URL": base},
        )
        report = json.loads((tmp_path / "r.json").read_text())
        checked = {c["name"]: c for c in report["checks"]}
        # The hostile value stayed one label value: no such job, so no data, and the
        # round trip through Prometheus's parser gives it back whole.
        assert checked["availability"]["verdict"] == "inconclusive"
        assert checked["label_round_trip"]["verdict"] == "pass"


def test_silence_is_held_while_the_gate_runs_and_expired_after_a_failure(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"up": "0"})
    silences: list[dict[str, object]] = []

    def create(request: Request) -> Response:
        silences.append(request.get_json())
        return Response(json.dumps({"silenceID": "6b2f-1"}), content_type="application/json")

    httpserver.expect_request("/api/v2/silences", method="POST").respond_with_handler(create)
    httpserver.expect_request("/api/v2/silence/6b2f-1", method="DELETE").respond_with_data("")
    config(
        tmp_path,
        gate_config(
            "    - {name: up, query: 'up{job=\"{{service_name}}\"}', expected_value: 1, failure_action: rollback}\n"
        ),
    )
    result = cli(
        "gate",
        "--silence",
        "--set",
        "service_name=checkout",
        env={
            "PROMETHEUS_URL": httpserver.url_for("/"),
            "ALERTMANAGER_URL": httpserver.url_for("/"),
        },
    )
    assert result.code == 1 and outputs(result.out)["result"] == "fail"
    paths = [entry[0].path for entry in httpserver.log]
    assert paths == ["/api/v2/silences", "/api/v1/query", "/api/v2/silence/6b2f-1"]
    (body,) = silences
    assert body["matchers"] == [
        {"name": "service", "value": "checkout", "isRegex": False, "isEqual": True}
    ]
    assert "silence 6b2f-1 expired" in result.out


def test_silence_needs_alertmanager(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config("    - {name: up, query: up, expected_value: 1}\n"))
    result = cli(
        "gate", "--silence", "--set", "service_name=x", env={"PROMETHEUS_URL": "http://127.0.0.1:9"}
    )
    assert result.code == 2 and "--silence: no Alertmanager URL" in result.err


def test_push_metrics_sends_the_marker_and_verdict(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"up": "1"})
    pushed: list[str] = []

    def put(request: Request) -> Response:
        pushed.append(request.get_data(as_text=True))
        return Response("", status=200)

    httpserver.expect_request("/api/v1/metrics").respond_with_json(
        {"status": "success", "data": []}
    )
    httpserver.expect_request(
        "/metrics/job/cibridge_gate/service/checkout/environment/prod", method="PUT"
    ).respond_with_handler(put)
    config(
        tmp_path,
        gate_config("    - {name: up, query: 'up{job=\"{{service_name}}\"}', expected_value: 1}\n"),
    )
    result = cli(
        "gate",
        "--push-metrics",
        "--environment",
        "prod",
        "--set",
        "service_name=checkout",
        "--deployed-at",
        "1700000000",
        env={"PROMETHEUS_URL": httpserver.url_for("/"), "PUSHGATEWAY_URL": httpserver.url_for("/")},
    )
    assert result.code == 0, result.all
    (body,) = pushed
    assert "deploy_timestamp_seconds 1700000000.0" in body
    assert (
        'deploy_gate_result{result="pass"} 1.0' in body
        and 'deploy_gate_action{action="none"} 1.0' in body
    )


def test_rules_are_written_from_the_rendered_checks(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    config(tmp_path, gate_config(PASSING))
    result = cli("gate", "rules", "--set", "service_name=checkout", "--output", "rules.yml")
    assert result.code == 0, result.all
    document = yaml.safe_load((tmp_path / "rules.yml").read_text())
    first = document["groups"][0]["rules"][0]
    assert first["alert"] == "Availability" and 'up{job="checkout"}' in first["expr"]
    assert first["for"] == "5m" and first["labels"]["service"] == "checkout"


def test_rules_need_only_the_placeholders_of_the_prometheus_checks(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        (FIXTURES / "seed" / "post-deployment-validation.yml").read_text(encoding="utf-8")
    )
    result = cli("gate", "rules", "--set", "service_name=checkout")
    assert result.code == 0, result.all
    assert 'up{job="checkout"}' in result.out
    assert "service_host" not in result.all and "service_url" not in result.all


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, 1000.0),
        ("now", 1000.0),
        ("10m ago", 400.0),
        ("-90s", 910.0),
        ("1700000000", 1700000000.0),
        ("2023-11-14T22:13:20Z", 1700000000.0),
        ("2023-11-14T22:13:20", 1700000000.0),  # no zone: UTC, as CI systems print times
        ("2023-11-15T00:13:20+02:00", 1700000000.0),
    ],
)
def test_deployed_at_forms(text: str | None, expected: float) -> None:
    from cibridge.cli.commands.gate_cmd import parse_time

    assert parse_time(text, 1000.0) == expected


def test_only_health_checks_need_no_prometheus(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/health").respond_with_json({"status": "UP"})
    config(
        tmp_path,
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        "      - {url: 'http://{{ service_url }}/health', json_path: status, json_value: UP}\n",
    )
    result = cli("gate", "--set", f"service_url=127.0.0.1:{httpserver.port}", "--junit", "j.xml")
    assert result.code == 0, result.all
    assert outputs(result.out)["result"] == "pass"
    assert (
        f'name="GET http://127.0.0.1:{httpserver.port}/health"' in (tmp_path / "j.xml").read_text()
    )


def test_progress_lines_stay_single_lines_on_github(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    def answer(request: Request) -> Response:
        pod = {"pod": "x\n::set-output name=result::pass"}
        sample = {"metric": pod, "value": [float(request.values["time"]), "9"]}
        body = {"status": "success", "data": {"resultType": "vector", "result": [sample]}}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/api/v1/query").respond_with_handler(answer)
    config(
        tmp_path,
        gate_config("    - {name: errs, query: errs, max_value: 1, duration: 1s, interval: 1s}\n"),
    )
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    result = cli(
        "gate",
        env={
            "PROMETHEUS_URL": httpserver.url_for("/"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
        },
    )
    assert result.code == 1
    assert not [line for line in result.all.splitlines() if line.startswith("::set-output")]
    assert "::error title=cibridge::errs: fail" in result.all
    assert "result<<" in output.read_text() and "fail" in output.read_text()
    assert "| errs | `errs` | 9 | &lt;= 1 | ❌ fail |" in summary.read_text()


def test_credentials_never_reach_any_output(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Prometheus (or a proxy) echoing the credentials back: every output stays clean."""
    import base64

    token, password = "canary-prom-token-8d2f", "canary-prom-pw-61ac"

    def echo(request: Request) -> Response:
        echoed = f"denied for {request.headers.get('Authorization')} {token} {password}"
        body = {"status": "error", "errorType": "bad_data", "error": echoed}
        return Response(json.dumps(body), status=400, content_type="application/json")

    httpserver.expect_request("/api/v1/query").respond_with_handler(echo)
    httpserver.expect_request("/health").respond_with_data(f"bad {password}", status=500)
    config(
        tmp_path,
        "integrations:\n  prometheus: {type: bearer, token: '${PROM_TOKEN}'}\n"
        + gate_config(
            "    - {name: a, query: up, max_value: 1}\n",
            "  health_check_validation:\n    http_checks:\n"
            f"      - {{url: '{httpserver.url_for('/health')}', headers: {{X-Key: '{password}'}}}}\n",
        ),
    )
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {
        "PROMETHEUS_URL": httpserver.url_for("/"),
        "PROM_TOKEN": token,
        "PROMETHEUS_PASSWORD": password,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    result = cli("gate", "--report", "r.json", "--junit", "j.xml", env=env)
    assert result.code == 1
    texts = [result.out, result.err, summary.read_text(), output.read_text()]
    texts += [(tmp_path / "r.json").read_text(), (tmp_path / "j.xml").read_text()]
    forms = {token, password, base64.b64encode(token.encode()).decode()}
    for text in texts:
        for line in text.splitlines():
            if not line.startswith("::add-mask::"):
                assert not [form for form in forms if form in line], line
    assert "denied for" in (tmp_path / "r.json").read_text()


# -- found by an attack review (each test says what) ---------------------------------------


def test_a_quote_in_a_comment_does_not_let_a_value_change_the_query(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review: a quote inside a PromQL comment must not make a placeholder
    after it count as inside a string literal, where a value could change the query."""
    check = (
        "    - name: err\n      query: |\n        # don't page on canaries\n"
        "        sum(rate(http_requests_total[5m])) > {{ threshold }}\n      max_value: 0\n"
    )
    config(tmp_path, gate_config(check))
    result = cli("gate", "--dry-run", "--set", "threshold=0 or vector(0)")
    assert result.code == 2, result.all
    assert "stands outside a string literal" in result.err
    plain = cli("gate", "--dry-run", "--set", "threshold=0.5")
    assert plain.code == 0 and "# don't page on canaries" in plain.out and "> 0.5" in plain.out


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"status": "success", "warnings": "oops", "data": {"resultType": "vector", "result": []}}),
        (200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": ["abc", "1"]}]}}),
        (200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [{}, "1"]}]}}),
        (200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, {}]}]}}),
        (401, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0"]}]}}),
        (429, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0"]}]}}),
        (503, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0"]}]}}),
    ],
)  # fmt: skip
def test_an_answer_of_the_wrong_shape_or_status_is_an_error_never_a_pass(
    cli, httpserver: HTTPServer, tmp_path: Path, status: int, body: dict[str, object]
) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review: a Prometheus answer of the wrong shape or an error status
    must read as an error (or no data), never as a pass or a rollback."""
    httpserver.expect_request("/api/v1/query").respond_with_json(body, status=status)
    config(tmp_path, gate_config("    - {name: err, query: 'x', max_value: 1}\n"))
    env = {"PROMETHEUS_URL": httpserver.url_for("/"), "CIBRIDGE_HTTP_RETRIES": "0"}
    result = cli("gate", env=env)
    assert result.code == 1, result.all
    # Unreadable warnings are dropped and the empty result read as no data; the rest is error.
    expected = "inconclusive" if body.get("warnings") == "oops" else "error"
    assert outputs(result.out)["result"] == expected
    assert outputs(result.out)["action"] != "rollback"


@pytest.mark.parametrize("when", ["nan", "inf", "-1e15", "1e300"])
def test_deployed_at_that_is_no_time_is_a_usage_error(cli, tmp_path: Path, when: str) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review: a --deployed-at that is no time (nan, inf, out of range) must
    be a usage error."""
    config(tmp_path, gate_config(PASSING))
    env = {"PROMETHEUS_URL": "http://127.0.0.1:9"}
    result = cli("gate", "--set", "service_name=x", f"--deployed-at={when}", env=env)
    assert result.code == 2, result.all
    assert "is not a time" in result.err


def test_an_unwritable_report_keeps_the_verdict_in_the_outputs(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review: a report that cannot be written must not lose the verdict:
    the outputs and the step summary still carry it."""
    serve(httpserver, {"up{": "0", "http_requests_total": "0.5"})
    config(
        tmp_path,
        gate_config(PASSING, "  rollback_policy: {max_failures: 1, rollback_pipeline: rb}\n"),
    )
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "PROMETHEUS_URL": httpserver.url_for("/"),
    }
    result = cli(
        "gate", "--set", "service_name=x", "--deployed-at=-1h", "--report", str(tmp_path), env=github
    )  # fmt: skip
    assert result.code == 2 and "cannot write it" in result.all
    written = (tmp_path / "out").read_text()
    assert "rollback" in written and "rb" in written
    assert "cibridge gate" in (tmp_path / "summary").read_text()


def test_a_zero_timeout_is_a_configuration_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review: a health check timeout of 0 must be a configuration error."""
    config(
        tmp_path,
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        "      - {url: 'http://127.0.0.1:9/', timeout: 0}\n",
    )
    result = cli("gate")
    assert result.code == 2, result.all
    assert "timeout is 0; it must be more than 0" in result.err


# -- gate rules --apply: installed in the folder Prometheus reads, then reloaded ------------


def _loaded_alerts(base: str) -> dict[str, list[str]]:
    """What the real Prometheus has loaded: alert names per rule group."""
    import urllib.request

    with urllib.request.urlopen(f"{base}/api/v1/rules", timeout=5) as answer:
        groups = json.load(answer)["data"]["groups"]
    return {g["name"]: sorted(r["name"] for r in g["rules"]) for g in groups}


def _apply(cli, base: str, *more: str):  # type: ignore[no-untyped-def]
    return cli(
        "gate", "rules", "--set", "service_name=checkout", "--apply", "--rules-dir", "rules",
        *more, env={"PROMETHEUS_URL": base},
    )  # fmt: skip


def test_apply_installs_the_rules_and_a_rerun_replaces_them_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    rule_files = [tmp_path / "rules" / "*.yml"]
    with prometheus(tmp_path, rule_files=rule_files, lifecycle=True) as base:
        first = _apply(cli, base)
        assert first.code == 0, first.all
        assert "2 rule(s); added Availability, Errors" in first.out and "reloaded" in first.out
        assert _loaded_alerts(base) == {"cibridge-gate-checkout": ["Availability", "Errors"]}
        again = _apply(cli, base)
        assert again.code == 0 and "(2 rule(s); unchanged)" in again.out, again.all
        config(tmp_path, gate_config(PASSING.split("    - name: errors")[0]))
        fewer = _apply(cli, base)
        assert fewer.code == 0 and "removed Errors" in fewer.out, fewer.all
        assert _loaded_alerts(base) == {"cibridge-gate-checkout": ["Availability"]}
    assert [p.name for p in (tmp_path / "rules").iterdir()] == ["cibridge-checkout.yml"]


def test_a_prometheus_without_the_lifecycle_api_is_named_and_nothing_stays_installed(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    with prometheus(tmp_path, rule_files=[tmp_path / "rules" / "*.yml"]) as base:
        result = _apply(cli, base)
    assert result.code == 1, result.all
    assert "Prometheus did not reload: HTTP 403" in result.err
    assert "--web.enable-lifecycle" in result.err
    assert list((tmp_path / "rules").iterdir()) == []  # the new file was taken back


def test_rules_prometheus_refuses_leave_the_previous_file_in_place(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    with prometheus(tmp_path, rule_files=[tmp_path / "rules" / "*.yml"], lifecycle=True) as base:
        assert _apply(cli, base).code == 0
        installed = (tmp_path / "rules" / "cibridge-checkout.yml").read_text()
        # rate() of an instant vector: a rule Prometheus will not load.
        bad = PASSING.replace(
            '[5m])) / sum(rate(http_requests_total{job="{{service_name}}"}[5m]))', ")))"
        )
        config(tmp_path, gate_config(bad))
        refused = _apply(cli, base)
        assert refused.code == 1, refused.all
        assert "Prometheus did not reload: HTTP 500" in refused.err
        assert (tmp_path / "rules" / "cibridge-checkout.yml").read_text() == installed
        assert _loaded_alerts(base) == {"cibridge-gate-checkout": ["Availability", "Errors"]}


def test_apply_dry_run_says_what_would_change_and_touches_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, "http://127.0.0.1:1", "--dry-run")
    assert result.code == 0, result.all
    assert "would write rules/cibridge-checkout.yml (2 rule(s); added Availability, Errors)" in (
        result.out
    )
    assert list((tmp_path / "rules").iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--apply"], "--apply and --rules-dir go together"),
        (["--apply", "--rules-dir", "missing"], "--rules-dir missing: not a folder"),
    ],
)
def test_apply_needs_an_existing_rules_folder(
    cli, tmp_path: Path, argv: list[str], complaint: str
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    result = cli("gate", "rules", "--set", "service_name=checkout", *argv)
    assert result.code == 2 and complaint in result.err, result.all


def test_a_redirected_reload_says_where_and_puts_the_file_back(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "cibridge-checkout.yml").write_bytes(b"\xff\xfe not text\n")
    config(tmp_path, gate_config(PASSING))
    httpserver.expect_request("/-/reload", method="POST").respond_with_data(
        "", status=302, headers={"Location": "https://login.example/sso"}
    )
    result = _apply(cli, httpserver.url_for("/").rstrip("/"))
    assert result.code == 1, result.all
    assert "Prometheus did not reload: answered 302 redirect to https://login.example" in result.err
    # An old file that is not text is not a crash either, and comes back byte for byte.
    assert (tmp_path / "rules" / "cibridge-checkout.yml").read_bytes() == b"\xff\xfe not text\n"


def test_a_reload_without_an_answer_keeps_the_new_file_and_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    result = cli(
        "gate", "rules", "--set", "service_name=checkout", "--apply", "--rules-dir", "rules",
        env={"PROMETHEUS_URL": "http://127.0.0.1:1", "CIBRIDGE_HTTP_RETRIES": "0"},
    )  # fmt: skip
    assert result.code == 1, result.all
    assert "whether Prometheus loaded them is unknown" in result.err
    assert "Availability" in (tmp_path / "rules" / "cibridge-checkout.yml").read_text()


@pytest.mark.parametrize(
    "old", [b"groups: 5\n", b"groups: [{rules: 7}]\n", b"[1, 2]\n", b"{{{ not yaml\n"]
)
def test_an_existing_file_of_any_shape_is_replaced_not_a_crash(
    cli, tmp_path: Path, old: bytes
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "cibridge-checkout.yml").write_bytes(old)
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, "http://127.0.0.1:1", "--dry-run")
    assert result.code == 0 and "added Availability, Errors" in result.out, result.all


def test_services_whose_names_clean_up_alike_get_files_of_their_own(tmp_path: Path) -> None:
    from cibridge.gate.rules import Installed

    names = ["日本", "中国", "", "..", "a b", "a/b", "checkout"]
    paths = [Installed(str(tmp_path), name).path.name for name in names]
    assert len(set(paths)) == len(names), paths
    assert paths[-1] == "cibridge-checkout.yml"  # a name that needs no cleaning stays as it is
    assert all("/" not in p and p.startswith("cibridge-") and p.endswith(".yml") for p in paths)


def test_a_rules_folder_that_cannot_be_written_is_named(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    # Refused before Prometheus is contacted: the address need not answer.
    result = cli(
        "gate", "rules", "--set", "service_name=checkout", "--apply", "--rules-dir",
        "/proc", env={"PROMETHEUS_URL": "http://127.0.0.1:1"},
    )  # fmt: skip
    assert result.code == 2 and "--rules-dir: cannot write /proc/cibridge-checkout.yml" in (
        result.err
    ), result.all


def test_output_and_apply_are_one_or_the_other(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "rules").mkdir()
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, "http://127.0.0.1:1", "--output", "x.yml")
    assert result.code == 2 and "choose one" in result.err, result.all


def test_the_chart_is_an_svg_beside_the_report(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    serve(httpserver, {"up{": "1", "http_requests_total": "0.5"})
    config(tmp_path, gate_config(PASSING))
    chart = tmp_path / "gate.svg"
    env = {"PROMETHEUS_URL": httpserver.url_for("/")}
    argv = ("gate", "--set", "service_name=x", "--deployed-at=-1h", "--chart", str(chart))
    result = cli(*argv, env=env)
    assert result.code == 1, result.all  # errors is 0.5, over its 0.01
    root = ET.fromstring(chart.read_text())  # noqa: S314 - our own output
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("errors — fail") for t in titles), titles
    assert f"chart={chart}" in result.out
    unwritable = cli(*argv[:-1], str(tmp_path), env=env)  # a folder: not written, verdict kept
    assert unwritable.code == 2 and "--chart" in unwritable.all and "result=fail" in unwritable.out
