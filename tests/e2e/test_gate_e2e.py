"""`cibridge gate` against a real Prometheus scraping a loopback service whose error rate,
latency and traffic the tests switch (tests/e2e/metrics_app.py), a real Alertmanager and a
real Pushgateway.

One Prometheus and one service serve the module; each test first puts the service in the
state it needs and waits (bounded) until Prometheus's own answer shows that state, so the
gate is judged on what Prometheus has actually scraped, never on a guessed delay.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from cibridge.http.transport import HttpSettings, Transport
from tests.e2e.harness import alertmanager, prometheus, pushgateway
from tests.e2e.metrics_app import MetricsApp

SERVICE = "checkout"
SETTLE_TIMEOUT = 30.0
ERROR_RATIO = (
    'sum(rate(http_requests_total{job="checkout", status=~"5.."}[4s]))'
    ' / sum(rate(http_requests_total{job="checkout"}[4s]))'
)
P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="checkout"}[4s])))'
CONFIG = """post_deployment_validation:
  metrics_validation:
    - name: availability
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      tolerance: 0
      duration: 2s
      interval: 1s
      failure_action: rollback
    - name: error_rate
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."}[4s])) / sum(rate(http_requests_total{job="{{service_name}}"}[4s]))'
      max_value: 0.01
      duration: 2s
      interval: 1s
      failure_action: rollback
    - name: response_time
      query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="{{service_name}}"}[4s])))'
      max_value: 0.5
      duration: 2s
      interval: 1s
      failure_action: alert
  health_check_validation:
    http_checks:
      - url: "http://{{service_url}}/health"
        expected_status: 200
        timeout: 5s
  rollback_policy:
    enabled: true
    max_failures: 2
    rollback_pipeline: "rollback-{{service_name}}"
"""


@dataclass
class Peers:
    app: MetricsApp
    prometheus: str
    http: Transport

    def value(self, query: str) -> float | None:
        """The query's single value now, per Prometheus (None: no series)."""
        answer = self.http.request(
            "GET", f"{self.prometheus}/api/v1/query?query={quote(query)}", what="Prometheus"
        ).json()
        result = answer["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def settle(self, query: str, wanted: Callable[[float | None], bool], state: str) -> None:
        """Wait until Prometheus's answer shows the state the test switched the service to."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not wanted(last := self.value(query)):
            if time.monotonic() > deadline:
                pytest.fail(f"Prometheus did not show {state} within {SETTLE_TIMEOUT:.0f}s: {last}")
            time.sleep(0.2)

    def healthy(self) -> None:
        self.app.switch(rps=100, error_rate=0.001, latency=0.02, healthy=True)
        self.settle(ERROR_RATIO, lambda v: v is not None and v < 0.01, "a low error ratio")
        self.settle(P95, lambda v: v is not None and v < 0.5, "a low p95 latency")


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    tmp_path = tmp_path_factory.mktemp("gate-e2e")
    with (
        MetricsApp() as app,
        prometheus(tmp_path, [app.target], job=SERVICE) as base,
        Transport(HttpSettings(retries=0)) as http,
    ):
        yield Peers(app, base, http)


def outputs(text: str) -> dict[str, str]:
    """The outputs the local platform prints as ``name=value`` lines."""
    found = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name in ("result", "action", "rollback-pipeline", "report"):
            found[name] = value
    return found


def gate(
    cli,
    peers: Peers,
    tmp_path: Path,
    *argv: str,
    env: dict[str, str] | None = None,
    config: str = CONFIG,
):  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(config, encoding="utf-8")
    return cli(
        "gate",
        "--set",
        f"service_name={SERVICE}",
        "--set",
        f"service_url={peers.app.target}",
        "--report",
        "report.json",
        *argv,
        env={"PROMETHEUS_URL": peers.prometheus, **(env or {})},
    )


def verdicts(tmp_path: Path) -> dict[str, str]:
    report = json.loads((tmp_path / "report.json").read_text())
    return {check["name"]: check["verdict"] for check in report["checks"]}


def test_a_healthy_service_passes(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    peers.healthy()
    result = gate(cli, peers, tmp_path)
    assert result.code == 0, result.all
    assert outputs(result.out) == {
        "result": "pass",
        "action": "none",
        "rollback-pipeline": "",
        "report": "report.json",
    }
    assert set(verdicts(tmp_path).values()) == {"pass"}


def test_a_high_error_rate_fails_and_rolls_back(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    peers.healthy()
    peers.app.switch(error_rate=0.3)
    peers.settle(ERROR_RATIO, lambda v: v is not None and v > 0.05, "the regression")
    result = gate(cli, peers, tmp_path)
    assert result.code == 1, result.all
    out = outputs(result.out)
    assert out["result"] == "fail" and out["action"] == "rollback"
    assert out["rollback-pipeline"] == "rollback-checkout"
    found = verdicts(tmp_path)
    assert found["error_rate"] == "fail" and found["availability"] == "pass"
    assert "error_rate: fail" in result.err and "> max_value 0.01" in result.err


def test_slow_responses_alert_without_failing_the_gate(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    peers.healthy()
    peers.app.switch(latency=2.0)
    peers.settle(P95, lambda v: v is not None and v > 0.5, "the slow responses")
    result = gate(cli, peers, tmp_path)
    assert result.code == 0, result.all
    assert outputs(result.out)["result"] == "pass" and outputs(result.out)["action"] == "alert"
    assert verdicts(tmp_path)["response_time"] == "fail"


def test_no_traffic_is_inconclusive_never_a_failure(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    peers.healthy()
    peers.app.switch(rps=0)
    peers.settle(ERROR_RATIO, lambda v: v is not None and math.isnan(v), "0/0 requests")
    result = gate(cli, peers, tmp_path)
    out = outputs(result.out)
    assert out["result"] == "inconclusive", result.all
    assert out["action"] != "rollback" and out["rollback-pipeline"] == ""
    assert result.code == 1  # not a pass: nobody saw the new version serve
    found = verdicts(tmp_path)
    assert found["error_rate"] == "inconclusive" and found["availability"] == "pass"


def test_an_unhealthy_endpoint_fails_the_gate(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    peers.healthy()
    peers.app.switch(healthy=False)
    result = gate(cli, peers, tmp_path)
    assert result.code == 1, result.all
    assert outputs(result.out)["result"] == "fail"
    assert "fail" in verdicts(tmp_path).values()


def test_prometheus_down_is_an_error_never_a_rollback(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with MetricsApp(error_rate=0.5) as app:
        with prometheus(tmp_path, [app.target], job=SERVICE) as base:
            pass  # it was up; now it is stopped, as in a monitoring outage mid-deploy
        peers = Peers(app, base, Transport(HttpSettings(retries=0)))
        result = gate(cli, peers, tmp_path, env={"CIBRIDGE_HTTP_RETRIES": "0"})
    assert result.code == 1
    out = outputs(result.out)
    assert out["result"] == "error", result.all
    assert out["action"] != "rollback" and out["rollback-pipeline"] == ""
    found = verdicts(tmp_path)
    assert found["error_rate"] == "error" and found["availability"] == "error"
    assert "unreachable" in result.err


# The gate checks for itself, while it runs, that Alertmanager holds an active silence.
SILENCE_SEEN = CONFIG.replace(
    "  rollback_policy:",
    """      - name: silence_active_during_the_gate
        url: "{{am_url}}/api/v2/silences?filter=service%3D%22checkout%22"
        body_regex: '"state":"active"'
        timeout: 5s
  rollback_policy:""",
)


def test_silence_is_held_while_the_gate_runs_and_expired_after_pass_or_fail(
    cli, peers: Peers, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with alertmanager(tmp_path) as am:
        env = {"ALERTMANAGER_URL": am}
        peers.healthy()
        passed = gate(
            cli, peers, tmp_path, "--silence", "--set", f"am_url={am}", env=env, config=SILENCE_SEEN
        )
        assert passed.code == 0, passed.all
        assert verdicts(tmp_path)["silence_active_during_the_gate"] == "pass"
        peers.app.switch(error_rate=0.3)
        peers.settle(ERROR_RATIO, lambda v: v is not None and v > 0.05, "the regression")
        failed = gate(cli, peers, tmp_path, "--silence", env=env)
        assert failed.code == 1 and outputs(failed.out)["action"] == "rollback", failed.all
        silences = peers.http.request("GET", f"{am}/api/v2/silences", what="Alertmanager").json()
    assert len(silences) == 2
    for silence in silences:
        assert silence["status"]["state"] == "expired"
        assert silence["matchers"] == [
            {"name": "service", "value": SERVICE, "isRegex": False, "isEqual": True}
        ]
        assert silence["createdBy"] == "cibridge gate"


def _group(peers: Peers, base: str) -> dict[str, dict[str, float]]:
    """The checkout group's metrics as {name: {labels-json: value}}."""
    groups = peers.http.request("GET", f"{base}/api/v1/metrics", what="Pushgateway").json()["data"]
    [group] = [g for g in groups if g["labels"].get("service") == SERVICE]
    return {
        name: {
            json.dumps(
                {k: v for k, v in m["labels"].items() if k not in ("instance", "job", "service")},
                sort_keys=True,
            ): float(m["value"])
            for m in family["metrics"]
        }
        for name, family in group.items()
        if isinstance(family, dict) and "metrics" in family
    }


def test_push_metrics_lands_the_marker_and_each_verdict_in_the_pushgateway(
    cli, peers: Peers, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with pushgateway(tmp_path) as base:
        env = {"PUSHGATEWAY_URL": base}
        peers.healthy()
        deployed_at = int(time.time()) + 1  # the window starts after the service is healthy
        passed = gate(
            cli, peers, tmp_path, "--push-metrics", "--deployed-at", str(deployed_at), env=env
        )
        assert passed.code == 0, passed.all
        first = _group(peers, base)
        peers.app.switch(error_rate=0.3)
        peers.settle(ERROR_RATIO, lambda v: v is not None and v > 0.05, "the regression")
        failed = gate(cli, peers, tmp_path, "--push-metrics", env=env)
        assert failed.code == 1, failed.all
        second = _group(peers, base)
        scraped = peers.http.request("GET", f"{base}/metrics", what="Pushgateway").text
    assert first["deploy_timestamp_seconds"] == {"{}": deployed_at}
    assert first["deploy_gate_result"]['{"result": "pass"}'] == 1
    assert first["deploy_gate_result"]['{"result": "fail"}'] == 0
    assert first["deploy_gate_action"]['{"action": "none"}'] == 1
    assert second["deploy_gate_result"]['{"result": "fail"}'] == 1
    assert second["deploy_gate_action"]['{"action": "rollback"}'] == 1
    assert second["deploy_gate_runs_total"] == {"{}": 2}
    assert second["deploy_gate_failures_total"] == {"{}": 1}
    assert (
        'deploy_gate_result{instance="",job="cibridge_gate",result="fail",service="checkout"} 1'
        in scraped
    )


def test_gate_rules_writes_a_file_promtool_accepts(cli, peers: Peers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from tests.e2e.harness import require

    (tmp_path / ".cibridge.yml").write_text(CONFIG, encoding="utf-8")
    result = cli(
        "gate",
        "rules",
        "--set",
        f"service_name={SERVICE}",
        "--set",
        "service_url=x:1",
        "--output",
        "rules.yml",
    )
    assert result.code == 0, result.all
    done = subprocess.run(
        [require("promtool"), "check", "rules", "rules.yml"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 3 rules found" in done.stdout


RATE = 'sum(rate(http_requests_total{job="{{service_name}}"}[4s]))'
CANARY_CONFIG = f"""post_deployment_validation:
  metrics_validation:
    - name: canary_traffic
      query: '{RATE} * {{{{ canary_factor }}}}'
      baseline_query: '{RATE}'
      comparison: {{confidence: 0.99, tolerance: 10%}}
      duration: 4s
      interval: 2s
      failure_action: rollback
  rollback_policy:
    rollback_pipeline: "rollback-{{{{service_name}}}}"
"""


@pytest.mark.parametrize(("factor", "verdict"), [("1", "pass"), ("1.25", "fail")])
def test_a_canary_comparison_reads_both_queries_from_prometheus(  # type: ignore[no-untyped-def]
    cli, peers: Peers, tmp_path: Path, factor: str, verdict: str
) -> None:
    """The real range queries (a 2 s window at a 67 ms step) and the U test on them: the
    same series on both sides never fails; 25% more on the canary side, point for point,
    is significant and beyond the 10% allowed."""
    peers.healthy()
    result = gate(cli, peers, tmp_path, "--set", f"canary_factor={factor}", config=CANARY_CONFIG)
    assert result.code == (0 if verdict == "pass" else 1), result.all
    [check] = json.loads((tmp_path / "report.json").read_text())["checks"]
    assert check["verdict"] == verdict, check["why"]
    # A window can start before Prometheus has two samples for rate() (too few points:
    # inconclusive); the others hold 2 s / 67 ms = 29 points a side.
    tested = [
        o["comparison"] for o in check["observations"] if o["comparison"]["p_value"] is not None
    ]
    assert tested and all(c["canary_points"] == c["baseline_points"] == 29 for c in tested)
    if verdict == "fail":
        assert tested[-1]["effect"] == pytest.approx(0.25, abs=1e-6)
        assert tested[-1]["p_value"] < 0.01
        assert outputs(result.out)["action"] == "rollback"
    else:
        assert len(check["observations"]) == 3
        assert all(c["effect"] == 0 and c["p_value"] == 1 for c in tested)
