"""``cibridge notify``: the command line of the notify use case."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import CibridgeError
from cibridge.notify.message import EVENTS, STATUSES
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.render.labels import LOCALES

if TYPE_CHECKING:
    from cibridge.notify.service import NotifyRequest, NotifyResult


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "notify",
        help="send a build / deploy / alert message to chat",
        description="Render the message for each --to provider from its template and send it. "
        "Exit 1 if any provider rejects it (unless --fail-on-error false).",
    )
    parser.add_argument("--to", action="append", choices=PROVIDERS, help="provider (repeatable)")
    parser.add_argument("--event", choices=EVENTS, default="build")
    parser.add_argument(
        "--status",
        help=f"{'|'.join(STATUSES)} (default: the job's status where the platform reports it, "
        "e.g. CI_JOB_STATUS in GitLab's after_script; required elsewhere)",
    )
    parser.add_argument(
        "--template",
        action="append",
        metavar="[PROVIDER=]NAME_OR_PATH",
        help="template to use instead of <provider>/<event>.yml.j2 (repeatable, per provider)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        help="Slack: a key of `channels` in the config, or a channel (repeatable)",
    )
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="extra template value")
    parser.add_argument("--update", metavar="MESSAGE_ID", help="Slack: update this message (ts)")
    parser.add_argument("--thread", metavar="MESSAGE_ID", help="Slack: reply in this thread (ts)")
    parser.add_argument("--locale", choices=tuple(LOCALES), help="language of built-in templates")
    parser.add_argument(
        "--mention", choices=["failure", "always", "never"], help="when to @mention people"
    )
    parser.add_argument(
        "--fail-on-error",
        choices=["true", "false"],
        help="exit 1 when a provider rejects the message (default true)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the requests (secrets redacted), send nothing",
    )
    parser.set_defaults(handler=run)


def templates_by_provider(values: list[str] | None) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for value in values or []:
        provider, sep, name = value.partition("=")
        if sep and provider in PROVIDERS:
            chosen[provider] = name
        else:
            chosen["*"] = value
    return chosen


def request_from_args(runtime: Runtime) -> NotifyRequest:
    from cibridge.notify.service import NotifyRequest

    args = runtime.args
    return NotifyRequest(
        targets=list(args.to or []),
        event=args.event,
        status=args.status or "",
        templates=templates_by_provider(args.template),
        channels=list(args.channel or []),
        values=runtime.sets(),
        update=args.update,
        thread=args.thread,
        locale=args.locale,
        mention=args.mention,
        fail_on_error=None if args.fail_on_error is None else args.fail_on_error == "true",
        dry_run=runtime.dry_run or bool(getattr(args, "dry_run", False)),
    )


def run(runtime: Runtime) -> int:
    from cibridge.notify import service

    try:
        request = request_from_args(runtime)
        result = service.notify(request, runtime.notify_dependencies(dry_run=request.dry_run))
    except CibridgeError:
        runtime.platform.set_outputs({"ok": "false", "message-id": "", "channel-id": ""})
        raise
    report(runtime, result)
    return result.exit_code


def report(runtime: Runtime, result: NotifyResult) -> None:
    from cibridge.report import outputs as reporting

    platform = runtime.platform
    for target in result.targets:
        if target.preview is not None:
            with (
                platform.group(f"{target.label}: request (dry run, not sent)"),
                platform.untrusted(),
            ):
                platform.print(json.dumps(target.preview, indent=2, ensure_ascii=False))
    lines = [reporting.Line(t.label, t.ok, t.detail, t.exit_code) for t in result.targets]
    reporting.log_lines(platform, lines, failures_are_warnings=not result.fail_on_error)
    first = next((t for t in result.targets if t.message_id), None)
    reporting.publish(
        platform,
        title="cibridge notify",
        columns=("provider", "ok", "detail"),
        rows=[(t.label, "✅" if t.ok else "❌", t.detail) for t in result.targets],
        outputs={
            "ok": "true" if all(t.ok for t in result.targets) else "false",
            "message-id": first.message_id if first else "",
            "channel-id": first.channel_id if first else "",
        },
    )
