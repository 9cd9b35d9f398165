"""What a summary run reports: the message's delivery per target, the outputs (the run's
result, the message id) and a step summary with every job."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_OK

if TYPE_CHECKING:
    from cibridge.context.platforms import Platform
    from cibridge.summary.service import SummaryResult

# What later steps read when the run failed before any message was tried.
OUTPUTS_ON_FAILURE = {
    "ok": "false",
    "result": "",
    "message-id": "",
    "channel-id": "",
    "jobs": "",
    "failed-jobs": "[]",
}


@dataclass(frozen=True)
class Delivered:
    """One target's delivery of the summary message, as notify reported it."""

    label: str
    ok: bool
    detail: str
    exit_code: int = EXIT_OK
    message_id: str = ""
    channel_id: str = ""
    preview: dict[str, Any] | None = None  # a dry run's request
    warning: str = ""


def report(
    platform: Platform,
    result: SummaryResult,
    delivered: Sequence[Delivered],
    *,
    fail_on_error: bool = True,
) -> None:
    from cibridge.core.untrusted import printable
    from cibridge.report import outputs as reporting

    summary = result.summary
    for target in delivered:
        if target.preview is not None:
            with (
                platform.group(f"{target.label}: request (dry run, not sent)"),
                platform.untrusted(),
            ):
                platform.print(json.dumps(target.preview, indent=2, ensure_ascii=False))
    if result.read:
        platform.print(
            printable(
                f"summary: {len(summary.jobs)} jobs, result {summary.result}, "
                f"{summary.calls} API request(s)"
            )
        )
    lines = [reporting.Line(t.label, t.ok, t.detail, t.exit_code) for t in delivered]
    reporting.log_lines(platform, lines, failures_are_warnings=not fail_on_error)
    for target in delivered:
        if target.warning:
            platform.warning(printable(target.warning))
    first = next((t for t in delivered if t.message_id), None)
    rows = [
        (job.name, job.status, job.failed_step or job.stage, _seconds(job.duration_seconds))
        for job in summary.jobs
    ]
    text = reporting.titled_table(
        f"cibridge summary: {summary.result}", ("job", "status", "step / stage", "duration"), rows
    )
    text += "\n" + reporting.table(
        ("provider", "ok", "detail"),
        [(t.label, "✅" if t.ok else "❌", t.detail) for t in delivered],
    )
    reporting.publish(
        platform,
        summary=text,
        outputs={
            "ok": "true" if delivered and all(t.ok for t in delivered) else "false",
            "result": summary.result,
            "message-id": first.message_id if first else "",
            "channel-id": first.channel_id if first else "",
            "jobs": str(len(summary.jobs)),
            "failed-jobs": reporting.json_list(
                platform, "failed-jobs", [j.name for j in summary.failed]
            ),
        },
    )


def _seconds(value: float | None) -> str:
    from cibridge.render.filters import duration

    return duration(value)
