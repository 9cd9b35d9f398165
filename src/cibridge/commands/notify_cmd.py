"""``cibridge notify``: render a message per provider and deliver it."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.runtime import Runtime

if TYPE_CHECKING:
    from cibridge.notify.providers import Delivery, Provider, SendOptions
    from cibridge.notify.settings import ProviderSettings

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
    parser.add_argument(
        "--channel",
        action="append",
        help="Slack: a key of `channels` in the config, or a channel (repeatable)",
    )
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
    results = [r for name in dict.fromkeys(targets) for r in _deliver(runtime, name, status)]
    _report(runtime, results, fail_on_error)
    worst = max(result.exit_code for result in results)
    if worst == EXIT_FAILURE and not fail_on_error:
        return EXIT_OK
    return worst


def _fail_on_error(runtime: Runtime) -> bool:
    if runtime.args.fail_on_error is not None:
        return bool(runtime.args.fail_on_error == "true")
    return runtime.config.value("notify", "fail_on_error") is not False


def _deliver(runtime: Runtime, name: str, status: str) -> list[TargetResult]:
    """Render once for the provider, then send to each of its channels."""
    from cibridge.notify.providers import create
    from cibridge.notify.settings import ProviderSettings

    settings = ProviderSettings(name, runtime.config, runtime.env)
    provider = create(name, settings)
    if not settings.enabled():
        return [TargetResult(name, provider.label, True, "disabled in the config; skipped")]
    channels = (runtime.args.channel or [None]) if provider.uses_channel else [None]
    results = []
    try:
        payload, options = _render(runtime, provider, settings, status)
    except CibridgeError as error:
        return [TargetResult(name, provider.label, False, str(error), exit_code=error.exit_code)]
    for channel in channels:
        label = f"{provider.label} {channel}" if len(channels) > 1 else provider.label
        try:
            options.channel = channel
            results.append(_send(runtime, provider, settings, payload, options, label))
        except CibridgeError as error:
            results.append(TargetResult(name, label, False, str(error), exit_code=error.exit_code))
    return results


def _render(
    runtime: Runtime, provider: Provider, settings: ProviderSettings, status: str
) -> tuple[Any, SendOptions]:
    from cibridge import labels, render
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
    model["mentions"] = [p[key] for p in people for key in provider.mention_keys[:1] if key in p]
    variables["message"] = model
    templates = _templates(args.template)
    template = templates.get(provider.name) or templates.get("*")
    template = template or f"{provider.name}/{args.event}.{provider.extension}.j2"
    payload = render.render(template, variables, render.search_path(runtime.templates_dir())).data
    options = SendOptions(
        update=args.update,
        thread=args.thread,
        mentions=people,
        mention_all=mentions.applies(runtime.config, status, args.mention),
    )
    return payload, options


def _send(
    runtime: Runtime,
    provider: Provider,
    settings: ProviderSettings,
    payload: Any,
    options: SendOptions,
    label: str,
) -> TargetResult:
    from cibridge import http
    from cibridge.config import parse_seconds

    delivery = provider.prepare(payload, options)
    if runtime.args.dry_run or runtime.dry_run:
        _print_delivery(runtime, label, delivery)
        return TargetResult(provider.name, label, True, "dry run: not sent")
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
        detail = f"{label} rejected the message: {outcome.error}{hint}"
        return TargetResult(provider.name, label, False, detail, exit_code=EXIT_FAILURE)
    return TargetResult(
        provider.name,
        label,
        True,
        "delivered",
        message_id=outcome.message_id,
        channel_id=outcome.channel_id,
    )


def _print_delivery(runtime: Runtime, label: str, delivery: Delivery) -> None:
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "authorization"}
    if "Authorization" in delivery.headers:
        headers["Authorization"] = "Bearer ***"
    shown = {
        "provider": label,
        "method": delivery.method,
        "url": delivery.shown_url(),
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
