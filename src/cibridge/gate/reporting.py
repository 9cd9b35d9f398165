"""What a gate run reports: the verdict as outputs, the summary, JSON and JUnit files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cibridge.context.platforms import Platform
    from cibridge.gate.results import GateResult

# What later steps read when the gate could not run.
OUTPUTS_ON_FAILURE = {
    "result": "error",
    "action": "none",
    "rollback-pipeline": "",
    "report": "",
    "chart": "",
    "rollback-dispatched": "false",
    "rollback-url": "",
}


@dataclass(frozen=True)
class Files:
    """Where the gate writes its reports ("" for none)."""

    report: str = ""
    junit: str = ""
    chart: str = ""  # an SVG of the metric checks, for a chat thread


def publish(
    platform: Platform,
    result: GateResult,
    files_to: Files,
    rollback: Mapping[str, str] | None = None,
) -> None:
    """Outputs and summary first, then the files: a report that cannot be written must not
    take the verdict with it (its problem, exit 2, is raised after them)."""
    from cibridge.core import redact
    from cibridge.gate import chart, summary
    from cibridge.report import files, junit, outputs

    report, junit_path = files_to.report, files_to.junit

    report_path = ""
    # A report that cannot be written must not take the verdict with it: the outputs and
    # summary go out first, and the write problem (exit 2) is raised after them.
    unwritten: list[CibridgeError] = []
    if report:
        try:
            files.write(report, summary.report_json(result), "--report")
            report_path = report
        except CibridgeError as error:
            unwritten.append(error)
    chart_path = ""
    if files_to.chart:
        try:
            files.write(files_to.chart, redact.redact(chart.svg(result)), "--chart")
            chart_path = files_to.chart
        except CibridgeError as error:
            unwritten.append(error)
    if junit_path:
        cases = summary.junit_cases(result)
        try:
            files.write(junit_path, junit.render("cibridge gate", cases), "--junit")
        except CibridgeError as error:
            unwritten.append(error)
    for check in result.checks:
        for warning in check.warnings:
            platform.warning(f"{check.name}: Prometheus warning: {warning}")
        if check.verdict != "pass":
            line = f"{check.name}: {check.verdict} — {check.why}"
            (platform.error if check.blocking else platform.warning)(line)
    outputs.publish(
        platform,
        outputs={
            "result": result.verdict,
            "action": result.action,
            "rollback-pipeline": result.rollback_pipeline,
            "report": report_path,
            "chart": chart_path,
            # gate --dispatch: whether this run started the rollback, and where it went
            "rollback-dispatched": "false",
            "rollback-url": "",
            **(rollback or {}),
        },
        summary=summary.markdown(result),
    )
    platform.print(summary.headline(result))
    if unwritten:
        raise unwritten[0]
