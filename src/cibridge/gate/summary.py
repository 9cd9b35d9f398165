"""The gate's result as people and tools read it: a step summary (table and one Mermaid
chart per metric with its threshold), JUnit cases for GitLab's Tests tab, and a JSON report.
Everything leaves through the redactor."""

from __future__ import annotations

import json
import math
from typing import Any

from cibridge.core import isotime, redact
from cibridge.core.durations import seconds_text
from cibridge.gate.comparison import effect_text
from cibridge.gate.results import ICONS, CheckResult, GateResult, Observation, number
from cibridge.report import junit
from cibridge.report.outputs import Code, code, inline, table

COLUMNS = ("check", "query", "value", "threshold", "verdict", "why")
MAX_CHART_POINTS = 60


# cli/commands/gate_cmd.py still imports the writer by this name from here.


def headline(result: GateResult) -> str:
    icon = ICONS[result.verdict]
    return f"{icon} gate {result.verdict}, action {result.action}: {result.why}"


def rows(result: GateResult) -> list[tuple[str, ...]]:
    shown: list[tuple[str, ...]] = []
    for check in result.checks:
        action = "" if check.blocking else f" ({check.failure_action} only)"
        shown.append(
            (
                check.name + action,
                Code(check.target),
                check.value,
                check.threshold,
                f"{ICONS[check.verdict]} {check.verdict}",
                check.why,
            )
        )
    return shown


def markdown(result: GateResult) -> str:
    heading = f"### cibridge gate\n\n**{inline(headline(result))}**\n\n"
    parts = [heading, table(COLUMNS, rows(result))]
    if result.rollback_pipeline:
        parts.append(f"\nRollback pipeline: {code(result.rollback_pipeline)}\n")
    for check in result.checks:
        offenders = _offenders(check)
        if offenders:
            listed = "\n".join("- " + code(line) for line in offenders[:20])
            title = f"<summary>{inline(check.name)}: failing series</summary>"
            parts.append(f"\n<details>{title}\n\n{listed}\n\n</details>\n")
        compared = comparison_lines(check)
        if compared:
            listed = "\n".join("- " + inline(line) for line in compared)
            title = f"<summary>{inline(check.name)}: canary vs baseline</summary>"
            parts.append(f"\n<details>{title}\n\n{listed}\n\n</details>\n")
        if check.warnings:
            warned = "\n".join(f"- {inline(w)}" for w in check.warnings[:10])
            parts.append(f"\n{inline(check.name)}: Prometheus warnings\n\n{warned}\n")
    charts = [chart(check, result.deployed_at) for check in result.checks]
    parts += [f"\n{c}\n" for c in charts if c]
    return "".join(parts)


def _offenders(check: CheckResult) -> list[str]:
    failing = next((o for o in check.observations if o.verdict == "fail" and o.offenders), None)
    return failing.offenders if failing and len(failing.offenders) > 0 else []


def chart(check: CheckResult, deployed_at: float) -> str:
    """A Mermaid xychart of the check's values over its window, with its threshold line."""
    points = [(o.at, o.value) for o in check.observations if o.value is not None]
    points = [(at, v) for at, v in points if math.isfinite(v)]
    if check.kind != "metric" or len(points) < 2:
        return ""
    step = max(1, math.ceil(len(points) / MAX_CHART_POINTS))
    points = points[::step]
    labels = ", ".join(f'"+{seconds_text(round(at - deployed_at))}"' for at, _v in points)
    values = ", ".join(f"{v:.6g}" for _at, v in points)
    # One line with no quote or backtick: a name cannot end the title or the code fence.
    title = " ".join(check.name.splitlines()).replace('"', "'").replace("`", "'")
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{title} ({check.threshold.replace(chr(34), chr(39))})"',
        f"    x-axis [{labels}]",
        f"    line [{values}]",
    ]
    if check.limit is not None:
        lines.append(f"    line [{', '.join(f'{check.limit:.6g}' for _ in points)}]")
    lines.append("```")
    return "\n".join(lines)


def junit_cases(result: GateResult) -> list[junit.Case]:
    cases = []
    for check in result.checks:
        case = junit.Case(check.name, f"cibridge.gate.{check.kind}", seconds=check.seconds)
        details = f"{check.target}\nthreshold: {check.threshold}\nvalue: {check.value}"
        details += "".join("\n" + line for line in comparison_lines(check))
        if check.verdict != "pass":
            message = f"{check.verdict}: {check.why}"
            if check.blocking:
                case.failure = message
                case.details = details + "\n" + "\n".join(_offenders(check))
            else:
                case.skipped = f"{check.failure_action} only, {message}"
        cases.append(case)
    return cases


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _compared(observation: Observation) -> dict[str, Any]:
    """A canary comparison's numbers (JSON has no NaN or Inf: those are null, and the text
    fields say them)."""
    stats = observation.compared
    if stats is None:
        return {}
    effect = stats.effect
    return {
        "comparison": {
            "canary_median": _finite(stats.canary_median),
            "baseline_median": _finite(stats.baseline_median),
            "canary_points": stats.canary_points,
            "baseline_points": stats.baseline_points,
            "p_value": stats.p_value,
            "effect": _finite(effect),
            "effect_text": effect_text(effect),
        }
    }


def comparison_lines(check: CheckResult) -> list[str]:
    """The failing (else the last) comparison of a check, as a JUnit case's details show it."""
    compared = [o for o in check.observations if o.compared is not None]
    if not compared:
        return []
    chosen = next((o for o in compared if o.verdict == "fail"), compared[-1])
    stats = chosen.compared
    assert stats is not None
    p_value = "" if stats.p_value is None else f"{stats.p_value:.4g}"
    effect = effect_text(stats.effect)
    return [
        f"canary median: {number(stats.canary_median)} ({stats.canary_points} points)",
        f"baseline median: {number(stats.baseline_median)} ({stats.baseline_points} points)",
        f"p-value: {p_value}",
        f"effect: {effect}",
        f"verdict: {chosen.verdict}: {chosen.why}",
    ]


def report(result: GateResult) -> dict[str, Any]:
    return {
        "result": result.verdict,
        "action": result.action,
        "why": result.why,
        "rollback_pipeline": result.rollback_pipeline,
        "deployed_at": isotime.text(result.deployed_at),
        "started": isotime.text(result.started),
        "finished": isotime.text(result.finished),
        "checks": [
            {
                "name": c.name,
                "kind": c.kind,
                "target": c.target,
                "threshold": c.threshold,
                "verdict": c.verdict,
                "why": c.why,
                "value": c.value,
                "failure_action": c.failure_action,
                "critical": c.critical,
                "failed_observations": c.failed_observations,
                "warnings": c.warnings,
                "observations": [
                    {
                        "at": isotime.text(o.at),
                        "verdict": o.verdict,
                        "value": _finite(o.value),
                        "value_text": number(o.value),
                        "why": o.why,
                        "offenders": o.offenders,
                        **_compared(o),
                    }
                    for o in c.observations
                ],
            }
            for c in result.checks
        ],
    }


def report_json(result: GateResult) -> str:
    return redact.redact(json.dumps(report(result), indent=2, ensure_ascii=False, allow_nan=False))
