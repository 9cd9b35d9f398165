"""What a notify run reports: a line per target, the outputs and the step summary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cibridge.context.platforms import Platform
    from cibridge.notify.service import NotifyResult

# What later steps read when the run failed before any target was tried.
OUTPUTS_ON_FAILURE = {
    "ok": "false",
    "message-id": "",
    "channel-id": "",
    "attached": "0",
    "file-ids": "",
}


def report(platform: Platform, result: NotifyResult) -> None:
    from cibridge.core.untrusted import printable
    from cibridge.report import outputs as reporting

    for target in result.targets:
        if target.preview is not None:
            with (
                platform.group(f"{target.label}: request (dry run, not sent)"),
                platform.untrusted(),
            ):
                platform.print(json.dumps(target.preview, indent=2, ensure_ascii=False))
    for item in result.attachments:
        if item.preview is not None:
            title = f"{item.label}: attaching {item.path} (dry run, not sent)"
            with platform.group(title), platform.untrusted():
                platform.print(json.dumps(item.preview, indent=2, ensure_ascii=False))
    lines = [reporting.Line(t.label, t.ok, t.detail, t.exit_code) for t in result.targets]
    lines += [
        reporting.Line(a.label, a.ok, a.detail, a.exit_code)
        for a in result.attachments
        if not a.warning
    ]
    reporting.log_lines(platform, lines, failures_are_warnings=not result.fail_on_error)
    for target in result.targets:
        if target.warning:
            platform.warning(printable(target.warning))
    for item in result.attachments:
        if item.warning:
            platform.warning(printable(item.detail))
    file_ids = [a.file_id for a in result.attachments if a.ok and a.file_id]
    first = next((t for t in result.targets if t.message_id), None)
    reporting.publish(
        platform,
        summary=reporting.titled_table(
            "cibridge notify",
            ("provider", "ok", "detail"),
            [(t.label, "✅" if t.ok else "❌", t.detail) for t in result.targets]
            + [
                (f"{a.label} 📎 {a.path}" if a.path else a.label, "✅" if a.ok else "❌", a.detail)
                for a in result.attachments
            ],
        ),
        outputs={
            "ok": "true" if all(t.ok for t in result.targets) else "false",
            "message-id": first.message_id if first else "",
            "channel-id": first.channel_id if first else "",
            "attached": str(len(file_ids)),
            "file-ids": ",".join(file_ids),
        },
    )
