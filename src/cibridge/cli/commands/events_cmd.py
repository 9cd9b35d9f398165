"""``cibridge events send`` publishes one CDEvent a pipeline describes; ``cibridge events
flush`` sends what earlier runs spooled, removing each file once its transport took it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cibridge.cli.events_hook import add_events_option
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.cli.runtime import Runtime


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "events",
        help="publish a CDEvent, or send the spooled ones",
        description="CDEvents v0.5.1 as CloudEvents to the transports of events.to "
        "(integration_configs.messaging). send: one event of any type; flush: the events "
        "an earlier run could not deliver (CIBRIDGE_EVENTS_SPOOL). Exit 0 when delivered "
        "(send: or spooled), 1 when some stay spooled (flush), 2 on a bad event or setting.",
    )
    actions = parser.add_subparsers(dest="events_action", metavar="ACTION", required=True)
    send = actions.add_parser("send", help="publish one CDEvent")
    send.add_argument("--type", required=True, metavar="TYPE", help="e.g. service.deployed")
    send.add_argument("--subject", metavar="ID", help="the subject's id (default: derived)")
    send.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a field of the subject's content; dots nest (environment.id=production)",
    )
    add_events_option(send)
    send.set_defaults(handler=run_send, outputs_on_failure={"id": "", "delivered": "false"})
    flush = actions.add_parser("flush", help="send the spooled events")
    add_events_option(flush)
    flush.set_defaults(handler=run_flush, outputs_on_failure={"delivered": "0", "left": "0"})


def content_of(pairs: list[str] | None) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CibridgeError(f"--set {pair[:60]!r} is not KEY=VALUE")
        node = content
        *parents, last = key.strip().split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise CibridgeError(f"--set {key.strip()}: {part} is already a value")
            node = child
        node[last] = value
    return content


def run_send(runtime: Runtime) -> int:
    from cibridge.events import from_command, publish, schemas, settings
    from cibridge.events.model import TYPES, Event

    args = runtime.args
    kind = str(args.type).removeprefix("dev.cdevents.")
    if kind not in TYPES:
        raise CibridgeError(
            f"--type {args.type[:60]!r} is not a CDEvents 0.5.1 type",
            hint=f"one of {', '.join(sorted(TYPES))}",
        )
    found = settings.load(runtime.config, runtime.env, args.events_to)
    if not found.to:
        raise CibridgeError(
            "events send: no transport", hint="set events.to, --events-to or CIBRIDGE_EVENTS_TO"
        )
    run = from_command.run_of(runtime.context, runtime.env)
    content = content_of(args.set)
    subject = args.subject or f"{run.run}/{kind}"
    event = Event(
        type=kind,
        id=run.id("send", kind, subject),
        source=run.source,
        subject_id=subject,
        content=content,
        chain=run.chain,
    )
    schemas.check(event)
    if runtime.dry_run:
        from cibridge.events.transports import load

        for name in found.to:
            shown = load(name, runtime.config, runtime.env).describe(event)
            runtime.platform.print(f"would send {kind} {event.id}: {shown}")
        return EXIT_OK
    complete = publish.publish([event], found, runtime.config, runtime.env, runtime.platform)
    runtime.platform.set_outputs({"id": event.id, "delivered": "true" if complete else "false"})
    return EXIT_FAILURE if not complete and found.fail_on_error else EXIT_OK


def run_flush(runtime: Runtime) -> int:
    from cibridge.events import publish, settings, spool

    found = settings.load(runtime.config, runtime.env, runtime.args.events_to)
    names = found.to or tuple(spool.transports(found.spool))
    delivered = left = 0
    for name in names:
        files = list(spool.kept(found.spool, name))
        broken = [(path, why) for path, why in files if isinstance(why, str)]
        for path, why in broken:
            runtime.platform.warning(f"events flush: {path} left in place: {why}")
        events = [(path, event) for path, event in files if not isinstance(event, str)]
        left += len(broken)
        if not events:
            continue
        if runtime.dry_run:
            runtime.platform.print(f"events flush: would send {len(events)} event(s) to {name}")
            continue
        result = publish.deliver(
            name, [e for _, e in events], runtime.config, runtime.env, found.budget
        )
        sent = {event.id for event in result.delivered}
        for path, event in events:
            if event.id in sent:
                path.unlink(missing_ok=True)
        delivered += len(sent)
        left += len(events) - len(sent)
        if result.undelivered:
            runtime.platform.warning(
                f"events flush: {len(result.undelivered)} event(s) stay spooled for {name}: "
                f"{result.undelivered[0][1]}"
            )
        runtime.platform.print(f"events flush: {len(sent)} event(s) delivered to {name}")
    runtime.platform.set_outputs({"delivered": str(delivered), "left": str(left)})
    return EXIT_FAILURE if left else EXIT_OK
