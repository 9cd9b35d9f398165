"""What a boards run reports: each item's errors, the outputs and the step summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from cibridge.boards.service import BoardsResult
    from cibridge.context.platforms import Platform

OUTPUTS_ON_FAILURE = {
    "work-items": "[]",
    "moved": "0",
    "commented": "0",
    "tagged": "0",
    "linked": "0",
    "failed": "0",
    "dry-run": "false",
}


def report(platform: Platform, result: BoardsResult, fail_on_error: bool) -> None:
    from cibridge.report import outputs as reporting

    for item in result.items:
        for error in item.errors:
            line = reporting.Line(item.key, False, error, item.exit_code)
            reporting.log_lines(platform, [line], failures_are_warnings=not fail_on_error)
    for number in result.missing:
        message = (
            f"AB#{number}: not in Azure Boards (or not visible to this identity), and "
            "--work-item named it\n  hint: check the id, the project (AZURE_DEVOPS_PROJECT) "
            "and that the identity can view work items in its area path"
        )
        line = reporting.Line(f"AB#{number}", False, message, EXIT_FAILURE)
        reporting.log_lines(platform, [line], failures_are_warnings=not fail_on_error)
    if result.unknown:
        shown = [f"AB#{n}" for n in result.unknown]
        platform.warning(f"not in Azure Boards (or not visible): {reporting.listed(shown)}")
    failed = [i for i in result.items if not i.ok]
    passed = "dry run" if result.dry_run else "✅"
    title = (
        "cibridge boards (dry run: nothing was changed)" if result.dry_run else "cibridge boards"
    )
    rows = [
        (
            i.key,
            i.type,
            i.title,
            f"{i.from_state} → {i.to_state}" if i.from_state != i.to_state else i.from_state,
            i.actions.get("comment", ""),
            i.actions.get("tags", ""),
            i.actions.get("links", ""),
            passed if i.ok else "❌",
        )
        for i in result.items
    ]
    rows += [(f"AB#{n}", "", "", "", "", "", "", "❌ not found") for n in result.missing]
    rows += [(f"AB#{n}", "", "", "", "", "", "", "not found") for n in result.unknown]
    reporting.publish(
        platform,
        summary=reporting.titled_table(
            title, ("work item", "type", "title", "state", "comment", "tags", "links", "ok"), rows
        ),
        outputs={
            "work-items": reporting.json_list(platform, "work-items", [i.id for i in result.items]),
            "moved": str(result.count("state", "done")),
            "commented": str(result.count("comment", "done")),
            "tagged": str(result.count("tags", "done")),
            "linked": str(result.count("links", "done")),
            "failed": str(len(failed) + len(result.missing)),
            "requests": str(result.requests),
            "dry-run": "true" if result.dry_run else "false",
        },
    )
