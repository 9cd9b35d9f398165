"""What a trigger run reports: each dispatch or refusal, why nothing ran, the outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cibridge.context.platforms import Platform
    from cibridge.trigger.service import TriggerResult

# What later steps read when the run failed before any rule was evaluated.
OUTPUTS_ON_FAILURE = {"pipelines": "[]", "dispatched": "0", "skipped": "0", "failed": "0"}


def report(platform: Platform, result: TriggerResult) -> None:
    from cibridge.report import outputs as reporting
    from cibridge.trigger import service

    for error in result.errors:
        platform.error(f"{error.issue}: {error.message}")
    for outcome in result.outcomes:
        match = outcome.match
        label = f"{match.issue}: {match.rule} → {match.pipeline}"
        failed = outcome.state in (service.FAILED, service.UNRECORDED)
        line = reporting.Line(label, not failed, outcome.detail, outcome.exit_code)
        if line.ok:
            platform.print(
                f"{label}: {outcome.detail}" + (f" ({outcome.url})" if outcome.url else "")
            )
        else:
            platform.error(f"{label}: {outcome.detail}")
    if not result.outcomes and not result.errors:
        platform.print("nothing to deploy")
        for issue, reasons in result.reasons.items():
            for rule, why in reasons.items():
                platform.print(f"  {issue} {rule}: {why}")
        if result.candidates is not None and not result.candidates.issues:
            for rule, jql in result.candidates.queries.items():
                platform.print(f"  {rule}: no issue matches {jql}")
            for rule, why in result.candidates.skipped.items():
                platform.print(f"  {rule}: {why}")
    started = [
        o
        for o in result.outcomes
        if o.state in (service.DISPATCHED, service.UNRECORDED, service.MATCHED, service.WOULD)
    ]
    listed = [
        {"pipeline": o.match.pipeline, "issue": o.match.issue, "rule": o.match.rule,
         "target": o.target}
        for o in started
    ]  # fmt: skip
    pipelines = reporting.json_list(platform, "pipelines", listed)
    reporting.publish(
        platform,
        summary=reporting.titled_table(
            "cibridge trigger",
            ("issue", "rule", "pipeline", "target", "result"),
            [
                (o.match.issue, o.match.rule, o.match.pipeline, o.target, f"{o.state}: {o.detail}")
                for o in result.outcomes
            ]
            + [(e.issue, "", "", "", f"failed: {e.message}") for e in result.errors]
            or [("", "", "", "", "nothing to deploy")],
        ),
        outputs={
            "pipelines": pipelines,
            "dispatched": str(result.count(service.DISPATCHED) + result.count(service.UNRECORDED)),
            "skipped": str(result.count(service.ALREADY)),
            "failed": str(
                result.count(service.FAILED) + result.count(service.UNRECORDED) + len(result.errors)
            ),
        },
    )
