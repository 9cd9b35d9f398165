"""The gate's report: table rows, Mermaid chart with the threshold line, JUnit, JSON."""

from __future__ import annotations

import json
import math

from cibridge.core import redact
from cibridge.gate.results import CheckResult, GateResult, Observation
from cibridge.gate.summary import chart, junit_cases, markdown, report_json

DEPLOYED = 1_795_000_000.0


def result() -> GateResult:
    observations = [
        Observation(DEPLOYED + 30 * k, "pass" if v < 0.01 else "fail", "w", v)
        for k, v in enumerate([0.001, 0.002, math.nan, 0.05])
    ]
    observations[-1].offenders = ['{job="api", pod="a|b"}: 0.05 > max_value 0.01']
    errors = CheckResult(
        "error_rate",
        "metric",
        'sum(rate(x{job="api"}[5m]))',
        "<= 0.01",
        "fail",
        "0.05 > max_value 0.01",
        "rollback",
        value="0.05",
        observations=observations,
        failed_observations=1,
        warnings=["partial response"],
        limit=0.01,
    )
    latency = CheckResult(
        "latency", "metric", "p95", "<= 0.5", "error", "HTTP 400 bad_data: x", "alert"
    )
    health = CheckResult(
        "GET http://api/health",
        "http",
        "GET http://api/health",
        "status 200",
        "pass",
        "HTTP 200 in 3 ms",
        "fail",
    )
    return GateResult(
        [errors, latency, health],
        "fail",
        "rollback",
        "error_rate fail",
        "rollback-api",
        DEPLOYED,
        DEPLOYED + 120,
        DEPLOYED,
    )


def test_markdown_has_the_table_offenders_and_a_chart() -> None:
    text = markdown(result())
    assert "| check | query | value | threshold | verdict | why |" in text
    assert (
        '| error\\_rate | `sum(rate(x{job="api"}[5m]))` | 0.05 | &lt;= 0.01 | ❌ fail |'
        " 0.05 &gt; max\\_value 0.01 |" in text
    )
    assert "latency (alert only)" in text
    assert "Rollback pipeline: `rollback-api`" in text
    assert 'pod="a|b"' in text and "partial response" in text
    assert text.count("```mermaid") == 1


def test_chart_leaves_out_nan_and_draws_the_threshold() -> None:
    drawn = chart(result().checks[0], DEPLOYED)
    assert 'x-axis ["+0s", "+30s", "+1m30s"]' in drawn
    assert "line [0.001, 0.002, 0.05]" in drawn and "line [0.01, 0.01, 0.01]" in drawn
    assert chart(result().checks[1], DEPLOYED) == ""


def test_junit_fails_blocking_checks_and_skips_the_others() -> None:
    cases = {case.name: case for case in junit_cases(result())}
    assert cases["error_rate"].failure == "fail: 0.05 > max_value 0.01"
    assert 'pod="a|b"' in cases["error_rate"].details
    assert cases["latency"].failure is None and cases["latency"].skipped is not None
    assert cases["GET http://api/health"].failure is None


def test_json_report_is_valid_json_without_nan_and_redacted() -> None:
    redact.register("sekret-token-123")
    gate = result()
    gate.checks[1].why = "refused sekret-token-123"
    data = json.loads(report_json(gate))
    assert data["result"] == "fail" and data["action"] == "rollback"
    assert data["rollback_pipeline"] == "rollback-api" and data["deployed_at"].endswith("Z")
    third = data["checks"][0]["observations"][2]
    assert third["value"] is None and third["value_text"] == "NaN"
    assert "sekret-token-123" not in json.dumps(data)


def test_labels_and_warnings_from_prometheus_render_as_typed() -> None:
    shown = result()
    shown.checks[0].observations[-1].offenders = ['{pod="`x`<img src=y>"}: 9 > max_value 1']
    shown.checks[0].warnings = ["<script>x</script> [see](https://evil)\r::error::x"]
    text = markdown(shown)
    assert "<script>" not in text and "[see](" not in text
    assert "- `{pod=\"'x'<img src=y>\"}: 9 > max_value 1`" in text
    assert "- &lt;script&gt;x&lt;/script&gt; \\[see\\](https://evil)\n" in text


def _compared_result() -> GateResult:
    from cibridge.gate.results import Compared

    failing = Observation(
        DEPLOYED + 30,
        "fail",
        "canary median 130 vs baseline 100 (+30.0%), p = 0.0001: canary is worse",
        130.0,
        compared=Compared(130.0, 100.0, 30, 30, 0.0001, 0.3),
    )
    from_zero = Observation(
        DEPLOYED + 60, "fail", "from 0", 0.2, compared=Compared(0.2, 0.0, 30, 30, 0.001, math.inf)
    )
    few = Observation(
        DEPLOYED + 90, "inconclusive", "too few", None, compared=Compared(math.nan, 1.0, 0, 12)
    )
    check = CheckResult(
        "canary_latency",
        "metric",
        "canary",
        "canary vs baseline: an increase beyond 10% at 95% confidence",
        "fail",
        failing.why,
        "rollback",
        value="130",
        observations=[failing, from_zero, few],
        failed_observations=2,
    )
    return GateResult(
        [check], "fail", "none", "canary_latency fail", "", DEPLOYED, DEPLOYED, DEPLOYED
    )


def test_a_comparison_reports_medians_p_value_and_effect_everywhere() -> None:
    gate = _compared_result()
    first, second, third = json.loads(report_json(gate))["checks"][0]["observations"]
    assert first["comparison"] == {
        "canary_median": 130.0,
        "baseline_median": 100.0,
        "canary_points": 30,
        "baseline_points": 30,
        "p_value": 0.0001,
        "effect": 0.3,
        "effect_text": "+30.0%",
    }
    assert second["comparison"]["effect"] is None and second["comparison"]["effect_text"] == "+Inf%"
    assert third["comparison"]["canary_median"] is None and third["comparison"]["p_value"] is None
    [case] = junit_cases(gate)
    assert "canary median: 130 (30 points)" in case.details
    assert "baseline median: 100 (30 points)" in case.details
    assert "p-value: 0.0001" in case.details and "effect: +30.0%" in case.details
    assert "verdict: fail: canary median 130" in case.details
    shown = markdown(gate)
    assert ": canary vs baseline</summary>" in shown
    assert "- p-value: 0.0001" in shown
