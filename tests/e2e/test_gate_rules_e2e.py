"""The gate action under act and the gate component under gitlab-ci-local with `rules:`
(the checks installed as Prometheus rules with a reload, or as Datadog monitors, a rerun
changing nothing) and with a canary comparison (the action installing SciPy on demand)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from cibridge.demo.standins import DATADOG_API_KEY, DATADOG_APP_KEY, StandIns, datadog_of
from tests.e2e.harness import COPY, prometheus, run_act, run_gitlab_ci_local

PROMETHEUS_CHECKS = """post_deployment_validation:
  metrics_validation:
    - name: availability
      query: 'up{job="{{ service_name }}"}'
      expected_value: 1
      duration: 2m
      failure_action: rollback
"""


def test_the_gate_action_installs_the_rules_and_prometheus_loads_them_once(
    tmp_path: Path,
) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    config = tmp_path / "gate.yml"
    config.write_text(PROMETHEUS_CHECKS, encoding="utf-8")
    with prometheus(tmp_path, rule_files=[rules_dir / "*.yml"], lifecycle=True) as base:
        step = f"""        uses: ./gate
        with:
          config: {config}
          set: service_name=checkout
          rules: prometheus
          rules-dir: {rules_dir}
          prometheus-url: {base}
"""
        workflow = f"""on: push
jobs:
  rules:
    runs-on: ubuntu-latest
    steps:
{COPY}      - id: first
{step}      - id: again
{step}"""
        run = run_act(tmp_path, workflow, {"ref": "refs/heads/main"})
        with urllib.request.urlopen(f"{base}/api/v1/rules", timeout=10) as answer:
            loaded = json.load(answer)["data"]["groups"]
    assert run.code == 0, run.output
    said = [line.split("| ", 1)[1] for line in run.output.splitlines() if "| gate rules:" in line]
    where = f"{rules_dir / 'cibridge-checkout.yml'}"
    assert said == [
        f"gate rules: {where} installed (1 rule(s); added Availability); Prometheus reloaded",
        f"gate rules: {where} installed (1 rule(s); unchanged); Prometheus reloaded",
    ], run.output
    assert [(g["name"], [r["name"] for r in g["rules"]]) for g in loaded] == [
        ("cibridge-gate-checkout", ["Availability"])
    ]
    assert loaded[0]["rules"][0]["duration"] == 120  # the check's duration as `for:`


DATADOG_CHECKS = """post_deployment_validation:
  metrics_validation:
    - name: error_rate
      source: datadog
      query: 'sum:trace.http.request.errors{service:{{ service_name }}}.as_rate()'
      max_value: 0.05
      duration: 5m
      failure_action: rollback
"""


def test_the_gate_component_installs_the_datadog_monitor_once_across_two_jobs(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    inputs = """      set: service_name=checkout
      rules: datadog
"""
    pipeline = f"""stages: [monitors, again]
include:
  - local: templates/gate.yml
    inputs:
      stage: monitors
{inputs}  - local: templates/gate.yml
    inputs:
      stage: again
      job-name: cibridge-monitors-again
{inputs}"""
    variables = {
        "DATADOG_API_URL": stand_ins.env()["DATADOG_API_URL"],
        "DD_API_KEY": DATADOG_API_KEY,  # masked CI/CD variables in a real project
        "DD_APP_KEY": DATADOG_APP_KEY,
    }
    run = run_gitlab_ci_local(
        tmp_path, pipeline, variables, files={".cibridge.yml": DATADOG_CHECKS}
    )
    assert "PASS  cibridge-gate" in run.output and "PASS  cibridge-monitors-again" in run.output, (
        run.output
    )
    (monitor,) = datadog_of(stand_ins).monitors.values()
    assert monitor["query"] == (
        "min(last_5m):sum:trace.http.request.errors{service:checkout}.as_rate() > 0.05"
    )
    assert {"cibridge-service:checkout", "cibridge-check:error_rate"} <= set(monitor["tags"])
    for job, action in (("cibridge-gate", "added"), ("cibridge-monitors-again", "unchanged")):
        assert re.search(rf"^{job} +> - error_rate \(max\): {action}$", run.output, re.M), (
            run.output
        )
    assert DATADOG_API_KEY not in run.output and DATADOG_APP_KEY not in run.output


CANARY_CHECKS = """post_deployment_validation:
  metrics_validation:
    - name: canary_latency
      source: datadog
      query: 'avg:trace.http.request.duration{service:{{ service_name }},version:{{ canary }}}'
      baseline_query: 'avg:trace.http.request.duration{service:{{ service_name }},version:stable}'
      comparison: {tolerance: 10%}
      duration: 4m
      interval: 2m
      failure_action: rollback
  rollback_policy:
    rollback_pipeline: "rollback-{{ service_name }}"
"""
SCOPE = "avg:trace.http.request.duration{service:checkout,version:%s}"


def _canary_series(stand_ins: StandIns) -> None:
    series = datadog_of(stand_ins).series
    series[SCOPE % "stable"] = lambda at: {("host:a",): 100.0 + at % 7}
    series[SCOPE % "same"] = lambda at: {("host:a",): 100.0 + at % 7}
    series[SCOPE % "slower"] = lambda at: {("host:a",): 150.0 + at % 7}


def test_the_gate_action_compares_the_canary_with_the_baseline(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """SciPy is no dependency of the action: the first comparison installs it into the
    action's cache and the second step reuses it."""
    _canary_series(stand_ins)
    config = tmp_path / "gate.yml"
    config.write_text(CANARY_CHECKS, encoding="utf-8")

    def step(canary: str) -> str:
        return f"""        uses: ./gate
        continue-on-error: true
        with:
          config: {config}
          set: |
            service_name=checkout
            canary={canary}
          deployed-at: -10m
          datadog-api-key: ${{{{ secrets.DD_API_KEY }}}}
          datadog-app-key: ${{{{ secrets.DD_APP_KEY }}}}
"""

    workflow = f"""on: push
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
{COPY}      - id: same
{step("same")}      - id: slower
{step("slower")}      - name: Outputs
        env:
          SAME: ${{{{ steps.same.outputs.result }}}}/${{{{ steps.same.outputs.action }}}}
          SLOWER: ${{{{ steps.slower.outputs.result }}}}/${{{{ steps.slower.outputs.action }}}}
        run: echo "OUT same=$SAME slower=$SLOWER"
"""
    run = run_act(
        tmp_path,
        workflow,
        {"ref": "refs/heads/main"},
        env={
            "DATADOG_API_URL": stand_ins.env()["DATADOG_API_URL"],
            # A cache of this test's own: the runner's would hold SciPy from an earlier run.
            "CIBRIDGE_CACHE_DIR": str(tmp_path / "runner-cache"),
        },
        secrets={"DD_API_KEY": DATADOG_API_KEY, "DD_APP_KEY": DATADOG_APP_KEY},
    )
    assert run.code == 0, run.output
    (line,) = [line for line in run.output.splitlines() if "| OUT same=" in line]
    assert line.split("| OUT ", 1)[1] == "same=pass/none slower=fail/rollback"
    assert len(re.findall(r"\| .*installing scipy", run.output, re.I)) == 1, run.output
    # The step summary's comparison section names both medians of the failed window.
    assert re.search(r"canary vs baseline", run.output), run.output
    assert DATADOG_API_KEY not in run.output and DATADOG_APP_KEY not in run.output


def test_the_gate_component_fails_a_worse_canary_and_decides_the_rollback(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    _canary_series(stand_ins)
    pipeline = """stages: [verify]
include:
  - local: templates/gate.yml
    inputs:
      stage: verify
      deployed-at: -10m
      set: |
        service_name=checkout
        canary=slower
"""
    variables = {
        "DATADOG_API_URL": stand_ins.env()["DATADOG_API_URL"],
        "DD_API_KEY": DATADOG_API_KEY,
        "DD_APP_KEY": DATADOG_APP_KEY,
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables, files={".cibridge.yml": CANARY_CHECKS})
    assert "FAIL  cibridge-gate" in run.output, run.output
    dotenv = (run.workdir / "cibridge-gate.env").read_text()
    assert "result=fail" in dotenv and "action=rollback" in dotenv
    report = json.loads((run.workdir / "cibridge-gate.json").read_text())
    (check,) = report["checks"]
    compared = [o["comparison"] for o in check["observations"] if o["comparison"]["p_value"]]
    assert compared and all(c["effect"] > 0.4 and c["p_value"] < 0.05 for c in compared)
