"""What a jira run reports: each issue's errors, the outputs and the step summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from cibridge.context.platforms import Platform
    from cibridge.jira.service import JiraResult

# What later steps read when the run failed before any issue was looked at.
OUTPUTS_ON_FAILURE = {
    "issues": "[]",
    "transitioned": "0",
    "skipped": "0",
    "failed": "0",
    "dry-run": "false",
}


def report(platform: Platform, result: JiraResult, fail_on_error: bool) -> None:
    from cibridge.report import outputs as reporting

    for issue in result.issues:
        for error in issue.errors:
            line = reporting.Line(issue.key, False, error, issue.exit_code)
            reporting.log_lines(platform, [line], failures_are_warnings=not fail_on_error)
    for key in result.missing:
        message = (
            f"{key}: not in Jira (or not visible to this account), and --issue named it\n"
            f"  hint: check the key, and that the Jira account can browse project "
            f"{key.rsplit('-', 1)[0]}"
        )
        line = reporting.Line(key, False, message, EXIT_FAILURE)
        reporting.log_lines(platform, [line], failures_are_warnings=not fail_on_error)
    if result.deployment:
        (platform.error if result.deployment_code else platform.print)(result.deployment)
    if result.unknown:
        message = f"not in Jira (or not visible): {reporting.listed(result.unknown)}"
        (platform.error if result.strict else platform.warning)(message)
    failed = [i for i in result.issues if not i.ok]
    # A dry run sent no write: its rows say "would", and no verdict reads as a success.
    passed = "dry run" if result.dry_run else "✅"
    title = "cibridge jira (dry run: nothing was changed)" if result.dry_run else "cibridge jira"
    reporting.publish(
        platform,
        summary=reporting.titled_table(
            title,
            ("issue", "summary", "status", "comment", "link", "ok"),
            [
                (
                    i.key,
                    i.summary,
                    f"{i.from_status} → {i.to_status}"
                    if i.from_status != i.to_status
                    else i.from_status,
                    i.actions.get("comment", ""),
                    i.actions.get("remote link", ""),
                    passed if i.ok else "❌",
                )
                for i in result.issues
            ]
            + [(key, "", "", "", "", "❌ not found") for key in result.missing]
            + [(key, "", "", "", "", "not found") for key in result.unknown],
        ),
        outputs={
            "issues": reporting.json_list(platform, "issues", [i.key for i in result.issues]),
            "transitioned": str(result.count("transition", "done")),
            "skipped": str(result.count("transition", "skipped")),
            "failed": str(len(failed) + len(result.missing)),
            "dry-run": "true" if result.dry_run else "false",
        },
    )
