"""``cibridge notify``: the command line of the notify use case."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cibridge.cli.events_hook import add_events_option
from cibridge.cli.release_hook import add_release_option
from cibridge.cli.runtime import Runtime
from cibridge.notify import reporting
from cibridge.notify.message import EVENTS, STATUSES
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.render.labels import LOCALES

if TYPE_CHECKING:
    from cibridge.notify.service import NotifyRequest


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
    parser.add_argument(
        "--update",
        metavar="MESSAGE_ID",
        help="update this message in place (Slack ts, Discord or Telegram message id)",
    )
    parser.add_argument(
        "--thread",
        metavar="MESSAGE_ID",
        help="post in this thread (Slack: the ts replied to; Discord: thread or forum post id; "
        "Telegram: topic id; Google Chat: thread key, default one per run)",
    )
    parser.add_argument(
        "--attach",
        action="append",
        metavar="PATH",
        help="Slack with a bot token: upload this file into the message's thread (repeatable; "
        "inside the working directory, at most notify.attach_max_bytes, default 10 MiB; "
        "secrets masked in text files)",
    )
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
    add_events_option(parser)
    add_release_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


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
        attach=list(args.attach or []),
        workspace=Path.cwd(),
    )


def run(runtime: Runtime) -> int:
    from cibridge.notify import service

    request = request_from_args(runtime)
    from cibridge.cli import release_hook

    release_hook.before_notify(runtime, request)
    deps = service.Dependencies(
        config=runtime.config,
        context=runtime.context,
        env=runtime.env,
        templates_dir=runtime.templates_dir(),
        transport=None if request.dry_run else runtime.transport,
    )
    result = service.run(request, deps)
    runtime.details["release_replied"] = "slack" in request.placed and any(
        t.provider == "slack" and t.ok and t.message_id for t in result.targets
    )
    reporting.report(runtime.platform, result)
    return result.exit_code
