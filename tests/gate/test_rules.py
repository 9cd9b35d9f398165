"""Alert rules from the gate's checks: expressions, for:, labels, and what promtool and a
real Prometheus make of the file."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import yaml

from cibridge.config import loader as config
from cibridge.gate import plan
from cibridge.gate.rules import (
    Installed,
    alert_name,
    condition,
    dump,
    left_out,
    rules_document,
)
from cibridge.gate.settings import Baseline, Bound, load
from cibridge.http.transport import HttpSettings, Transport
from tests.conftest import SEED
from tests.e2e.harness import prometheus, require
from tests.e2e.metrics_app import MetricsApp
from tests.gate.helpers import metric, settings_from

# The seed's checks with the two queries that are not valid PromQL as written
# (`rate(...)[5m]` puts the range on the function's result) written as intended.
FIXED_SEED = """
post_deployment_validation:
  metrics_validation:
    - name: "service_availability"
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      tolerance: 0
      duration: "5m"
      failure_action: "rollback"
    - name: "response_time"
      query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="{{service_name}}"}[5m])))'
      max_value: 0.5
      duration: "5m"
      failure_action: "alert"
    - name: "error_rate"
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."}[5m])) / sum(rate(http_requests_total{job="{{service_name}}"}[5m]))'
      max_value: 0.01
      duration: "5m"
      failure_action: "rollback"
"""


def test_each_threshold_becomes_the_comparison_the_gate_would_fail() -> None:
    assert condition(metric(query="a", max_value=0.5)) == "(a) > 0.5"
    assert condition(metric(query="a", min_value=10)) == "(a) < 10"
    assert condition(metric(query="a", expected_value=1, tolerance=Bound(0))) == (
        "abs((a) - 1) > 0"
    )
    relative = metric(query="a", expected_value=-200, tolerance=Bound(0.05, relative=True))
    assert condition(relative) == "abs((a) - -200) > 10"
    both = metric(query="a or b", min_value=0.1, max_value=0.9)
    assert condition(both) == "(a or b) > 0.9 or (a or b) < 0.1"


def test_alert_names_are_valid_metric_names() -> None:
    assert alert_name("service_availability") == "ServiceAvailability"
    assert alert_name("p95 latency (ms)") == "P95LatencyMs"
    assert alert_name("5xx-rate") == "Check5xxRate"
    assert alert_name("—") == "GateCheck"


def test_the_seed_checks_become_one_group_of_alerts(tmp_path: Path) -> None:
    rendered = plan.render(settings_from(FIXED_SEED, tmp_path), {"service_name": "checkout"})
    document = rules_document(rendered.metrics, "checkout")
    [group] = document["groups"]
    assert group["name"] == "cibridge-gate-checkout"
    availability, latency, errors = group["rules"]
    assert availability == {
        "alert": "ServiceAvailability",
        "expr": 'abs((up{job="checkout"}) - 1) > 0',
        "for": "5m",
        "labels": {"service": "checkout", "severity": "critical", "check": "service_availability"},
        "annotations": availability["annotations"],
    }
    assert "{{ $value | humanize }}" in availability["annotations"]["summary"]
    assert latency["labels"]["severity"] == "warning"
    assert latency["expr"].endswith(") > 0.5")
    assert errors["expr"] == f"({rendered.metrics[2].query}) > 0.01"
    assert yaml.safe_load(dump(document)) == document


def test_a_placeholder_value_cannot_open_a_template_in_an_annotation() -> None:
    document = rules_document([metric(name="x {{ y }}", query="up", max_value=1)], "")
    annotations = document["groups"][0]["rules"][0]["annotations"]
    assert "{{ y }}" not in annotations["summary"]
    assert '{{ "{{" }} y }}' in annotations["summary"]
    assert "service" not in document["groups"][0]["rules"][0]["labels"]


def test_baseline_only_and_ignored_checks_are_left_out_and_said_so() -> None:
    baseline = Baseline(window=1800, max_increase=Bound(0.1, relative=True))
    checks = [
        metric(name="only_baseline", baseline=baseline),
        metric(name="ignored", max_value=1, failure_action="ignore"),
        metric(name="mixed", max_value=1, baseline=baseline),
    ]
    [group] = rules_document(checks, "api")["groups"]
    assert [rule["labels"]["check"] for rule in group["rules"]] == ["mixed"]
    assert "baseline" not in group["rules"][0]["annotations"]["summary"]
    assert left_out(checks) == [
        "only_baseline: skipped (only a baseline comparison, which needs a deploy)",
        "ignored: skipped (failure_action: ignore)",
        "mixed: its baseline comparison is left out (it needs a deploy)",
    ]


def test_datadog_checks_are_not_prometheus_rules_and_said_so() -> None:
    checks = [
        metric(name="up", min_value=1),
        metric(name="errors", query="sum:errors{*}", max_value=1, source="datadog"),
    ]
    [group] = rules_document(checks, "api")["groups"]
    assert [rule["labels"]["check"] for rule in group["rules"]] == ["up"]
    assert left_out(checks) == ["errors: runs in Datadog (see gate rules --format datadog)"]


def test_alert_names_stay_distinct() -> None:
    checks = [metric(name="a-b", max_value=1), metric(name="a_b", max_value=1)]
    names = [rule["alert"] for rule in rules_document(checks, "s")["groups"][0]["rules"]]
    assert names == ["AB", "AB2"]


def test_the_change_says_added_changed_removed_or_unchanged(tmp_path: Path) -> None:
    installed = Installed(str(tmp_path), "s")
    before = [metric(name="errors", max_value=1), metric(name="latency", max_value=2)]
    assert installed.change(rules_document(before, "s")) == "2 rule(s); added Errors, Latency"
    installed.replace(dump(rules_document(before, "s")))
    assert installed.change(rules_document(before, "s")) == "2 rule(s); unchanged"
    after = [metric(name="errors", max_value=5), metric(name="saturation", max_value=1)]
    assert installed.change(rules_document(after, "s")) == (
        "2 rule(s); added Saturation; changed Errors; removed Latency"
    )
    # The checks make no rule any more: the whole group's rules go.
    assert installed.change(rules_document([], "s")) == "0 rule(s); removed Errors, Latency"


def _promtool(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool"), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_promtool_accepts_the_rules_file(tmp_path: Path) -> None:
    rendered = plan.render(settings_from(FIXED_SEED, tmp_path), {"service_name": 'we"ird\\name'})
    path = tmp_path / "rules.yml"
    path.write_text(dump(rules_document(rendered.metrics, 'we"ird\\name'), "generated"))
    done = _promtool(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 3 rules found" in done.stdout


@pytest.mark.parametrize("index", [1, 2])
def test_promtool_refuses_the_seeds_own_range_on_a_function(tmp_path: Path, index: int) -> None:
    """The seed's latency and error-rate queries are not PromQL as written: the rules file
    carries them as they are, and promtool says where (the gate reports them as errors)."""
    seed = config.load([SEED / "post-deployment-validation.yml"], {})
    values = {"service_name": "checkout", "service_url": "h:1", "service_host": "h"}
    rendered = plan.render(load(seed), {**values, "service_port": "1"})
    path = tmp_path / "rules.yml"
    path.write_text(dump(rules_document([rendered.metrics[index]], "checkout")))
    done = _promtool(path)
    assert done.returncode == 1
    assert "ranges only allowed for vector selectors" in done.stderr + done.stdout


LIVE = """
post_deployment_validation:
  metrics_validation:
    - name: availability
      query: 'up{job="{{service_name}}"}'
      expected_value: 1
      duration: 2s
      failure_action: rollback
    - name: error_rate
      query: 'sum(rate(http_requests_total{job="{{service_name}}", status=~"5.."}[4s])) / sum(rate(http_requests_total{job="{{service_name}}"}[4s]))'
      max_value: 0.01
      duration: 2s
      failure_action: rollback
"""


def test_a_real_prometheus_loads_the_rules_and_fires_what_the_gate_would_fail(
    tmp_path: Path,
) -> None:
    rendered = plan.render(settings_from(LIVE, tmp_path), {"service_name": "checkout"})
    path = tmp_path / "rules.yml"
    path.write_text(dump(rules_document(rendered.metrics, "checkout")))
    with (
        MetricsApp(error_rate=0.3) as app,
        prometheus(tmp_path, [app.target], job="checkout", rule_files=[path]) as base,
        Transport(HttpSettings(retries=0)) as http,
    ):
        deadline = time.monotonic() + 30
        while True:  # bounded: until the rules have been evaluated long enough to fire
            groups = http.request("GET", f"{base}/api/v1/rules", what="Prometheus").json()
            rules = {rule["name"]: rule for rule in groups["data"]["groups"][0]["rules"]}
            if rules["ErrorRate"]["state"] == "firing" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert groups["data"]["groups"][0]["name"] == "cibridge-gate-checkout"
    assert set(rules) == {"Availability", "ErrorRate"}
    assert all(rule["health"] == "ok" for rule in rules.values()), rules
    assert rules["ErrorRate"]["state"] == "firing"
    assert rules["ErrorRate"]["labels"] == {
        "service": "checkout",
        "severity": "critical",
        "check": "error_rate",
    }
    assert rules["Availability"]["state"] == "inactive"  # up == 1: nothing to say


def test_labels_cannot_open_a_template_either(tmp_path: Path) -> None:
    """Prometheus expands rule labels as templates too: a check name or service holding "{{"
    stays text, and promtool accepts the file."""
    checks = [metric(name='x {{ printf "%s" }}', query="up", max_value=1)]
    document = rules_document(checks, 'a"}} {{ .Value }}{{')
    labels = document["groups"][0]["rules"][0]["labels"]
    assert "{{ printf" not in labels["check"].replace('{{ "{{" }}', "")
    assert "{{ .Value" not in labels["service"].replace('{{ "{{" }}', "")
    path = tmp_path / "rules.yml"
    path.write_text(dump(document))
    checked = _promtool(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_canary_comparison_is_left_out_and_said_so() -> None:
    from cibridge.gate.settings import Comparison

    checks = [metric(name="canary_latency", baseline_query="old", comparison=Comparison())]
    assert rules_document(checks, "api")["groups"][0]["rules"] == []
    assert left_out(checks) == [
        "canary_latency: skipped (a canary vs baseline comparison, which needs two versions "
        "running side by side during a deploy)"
    ]
