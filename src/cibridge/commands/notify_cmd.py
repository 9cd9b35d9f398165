"""``cibridge notify``: render a message per provider and deliver it."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from cibridge.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.runtime import Runtime

_STATUS_ALIASES = {"failed": "failure", "canceled": "cancelled", "skipped": "cancelled"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "notify",
        help="send a build / deploy / alert message to chat",
        description="Render the message for each --to provider from its template and send it. "
        "Exit 1 if any provider rejects it (unless --fail-on-error false).",
    )
    parser.add_argument("--to", action="append", choices=PROVIDERS, help="provider (repeatable)")
    parser.add_argument("--event", choices=["build", "deploy", "alert"], default="build")
    parser.add_argument(
        "--status",
        help="success|failure|cancelled|running (default: the job's status where the platform "
        "knows it, e.g. CI_JOB_STATUS)",
    )
    parser.add_argument(
        "--template",
        action="append",
        metavar="[PROVIDER=]NAME_OR_PATH",
        help="template to use instead of <provider>/<event>.yml.j2 (repeatable, per provider)",
    )
    parser.add_argument("--channel", help="a key of `channels` in the config, or a channel")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="extra template value")
    parser.add_argument("--update", metavar="MESSAGE_ID", help="Slack: update this message (ts)")
    parser.add_argument("--thread", metavar="MESSAGE_ID", help="Slack: reply in this thread (ts)")
    parser.add_argument("--locale", choices=["en", "zh-CN"], help="language of built-in templates")
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


@dataclass
class TargetResult:
    provider: str
    label: str
    ok: bool
    detail: str = ""
    message_id: str = ""
    channel_id: str = ""
    exit_code: int = EXIT_OK


def normalise_status(value: str) -> str:
    status = _STATUS_ALIASES.get(value.lower(), value.lower())
    if status not in ("success", "failure", "cancelled", "running"):
        raise CibridgeError(
            f"--status {value!r} is not one of success, failure, cancelled, running"
        )
    return status


def _templates(values: list[str] | None) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for value in values or []:
        provider, sep, name = value.partition("=")
        if sep and provider in PROVIDERS:
            chosen[provider] = name
        else:
            chosen["*"] = value
    return chosen


def run(runtime: Runtime) -> int:
    args = runtime.args
    config = runtime.config
    targets = args.to or list(config.value("notify", "to") or [])
    if not targets:
        raise CibridgeError(
            "no provider to notify", hint="pass --to slack (repeatable) or set notify.to in config"
        )
    context = runtime.context
    status = normalise_status(args.status or context.status or "success")
    context.status = status
    fail_on_error = _fail_on_error(runtime)
    results = [_deliver(runtime, name, status) for name in dict.fromkeys(targets)]
    _report(runtime, results, fail_on_error)
    worst = max(result.exit_code for result in results)
    if worst == EXIT_FAILURE and not fail_on_error:
        return EXIT_OK
    return worst


def _fail_on_error(runtime: Runtime) -> bool:
    if runtime.args.fail_on_error is not None:
        return bool(runtime.args.fail_on_error == "true")
    return runtime.config.value("notify", "fail_on_error") is not False


def _deliver(runtime: Runtime, name: str, status: str) -> TargetResult:
    from cibridge.notify.providers import create
    from cibridge.notify.settings import ProviderSettings

    settings = ProviderSettings(name, runtime.config, runtime.env)
    provider = create(name, settings)
    try:
        if not settings.enabled():
            return TargetResult(name, provider.label, True, "disabled in the config; skipped")
        return _send(runtime, provider, settings, status)
    except CibridgeError as error:
        return TargetResult(name, provider.label, False, str(error), exit_code=error.exit_code)


def _send(runtime: Runtime, provider: Any, settings: Any, status: str) -> TargetResult:
    from cibridge import http, labels, render
    from cibridge.notify import mentions, message
    from cibridge.notify.providers import SendOptions

    args = runtime.args
    locale = (
        args.locale or settings.value("locale") or runtime.config.value("notify", "locale") or "en"
    )
    variables = runtime.variables({"status": status})
    variables["t"] = labels.for_locale(str(locale))
    variables["msgtype"] = str(settings.value("msgtype", default=""))
    people = mentions.resolve(runtime.config, variables, status, args.mention)
    model = message.build(args.event, status, variables, variables["t"], provider.max_commits)
    model["mentions"] = [p[key] for p in people for key in provider.mention_keys()[:1] if key in p]
    variables["message"] = model
    templates = _templates(args.template)
    template = templates.get(provider.name) or templates.get("*")
    template = template or f"{provider.name}/{args.event}.{provider.extension}.j2"
    dirs = render.search_path(runtime.templates_dir())
    payload = render.render(template, variables, dirs).data
    options = SendOptions(
        channel=args.channel,
        update=args.update,
        thread=args.thread,
        mentions=people,
        mention_all=mentions.applies(runtime.config, status, args.mention),
    )
    delivery = provider.prepare(payload, options)
    public = provider.name == "slack" and getattr(provider, "api", False)
    if args.dry_run or runtime.dry_run:
        _print_delivery(runtime, provider.label, delivery, public)
        return TargetResult(provider.name, provider.label, True, "dry run: not sent")
    from cibridge.config import parse_seconds

    timeout = settings.value("timeout")
    response = http.request(
        delivery.method,
        delivery.url,
        json=None if delivery.raw is not None else delivery.body,
        data=delivery.raw,
        headers=delivery.headers,
        timeout=http.DEFAULT_TIMEOUT
        if timeout is None
        else parse_seconds(timeout, settings.where("timeout")),
        what=provider.label,
    )
    outcome = provider.outcome(response)
    if not outcome.ok:
        hint = f" ({outcome.hint})" if outcome.hint else ""
        detail = f"{provider.label} rejected the message: {outcome.error}{hint}"
        return TargetResult(provider.name, provider.label, False, detail, exit_code=EXIT_FAILURE)
    return TargetResult(
        provider.name,
        provider.label,
        True,
        "delivered",
        message_id=outcome.message_id,
        channel_id=outcome.channel_id,
    )


def _print_delivery(runtime: Runtime, label: str, delivery: Any, public: bool) -> None:
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "authorization"}
    if "Authorization" in delivery.headers:
        headers["Authorization"] = "Bearer ***"
    shown = {
        "provider": label,
        "method": delivery.method,
        "url": delivery.shown_url(public),
        "headers": headers,
        "body": delivery.body,
    }
    with (
        runtime.platform.group(f"{label}: request (dry run, not sent)"),
        runtime.platform.untrusted(),
    ):
        runtime.platform.print(json.dumps(shown, indent=2, ensure_ascii=False))


def _report(runtime: Runtime, results: list[TargetResult], fail_on_error: bool) -> None:
    platform = runtime.platform
    for result in results:
        if result.ok:
            platform.print(f"{result.label}: {result.detail}")
        elif result.exit_code == EXIT_FAILURE and not fail_on_error:
            platform.warning(result.detail)
        else:
            platform.error(result.detail)
    first = next((r for r in results if r.message_id), None)
    platform.set_outputs(
        {
            "ok": "true" if all(r.ok for r in results) else "false",
            "message-id": first.message_id if first else "",
            "channel-id": first.channel_id if first else "",
        }
    )
    rows = "\n".join(
        f"| {r.label} | {'✅' if r.ok else '❌'} | {r.detail.splitlines()[0] if r.detail else ''} |"
        for r in results
    )
    platform.summary(f"### cibridge notify\n\n| provider | ok | detail |\n|---|---|---|\n{rows}\n")
