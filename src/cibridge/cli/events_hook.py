"""After notify, jira, gate, trigger and summary: publish what the command did as events, when
``events.to``, ``--events-to`` or ``CIBRIDGE_EVENTS_TO`` asks for it. Without any of them
nothing of ``cibridge.events`` is imported."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.cli.runtime import Runtime
    from cibridge.events.model import Event

COMMANDS = frozenset({"notify", "jira", "gate", "trigger", "summary"})


def add_events_option(parser: argparse.ArgumentParser) -> None:
    """The option the commands that publish events share."""
    parser.add_argument(
        "--events-to",
        action="append",
        metavar="TRANSPORT",
        help="publish what the command did as CDEvents to these transports (http, nats; "
        "repeatable, or comma-separated), instead of events.to",
    )


def wanted(runtime: Runtime) -> bool:
    args = runtime.args
    if args.command not in COMMANDS or getattr(args, "what", "run") != "run":
        return False
    if getattr(args, "events_to", None) or runtime.env.get(variables.name("events", "to")):
        return True
    try:
        return bool(runtime.config.raw("events", "to"))
    except CibridgeError:
        return False  # the command has reported the configuration already


def after(runtime: Runtime, code: int) -> int:
    """Publish; the command's exit code stands unless events.fail_on_error says otherwise."""
    from cibridge.events import publish, settings

    platform = runtime.platform
    try:
        found = settings.load(runtime.config, runtime.env, getattr(runtime.args, "events_to", None))
        events = _events(runtime)
    except CibridgeError as error:
        platform.warning(f"events: nothing published: {error}")
        return code
    if not events or not found.to:
        return code
    if runtime.dry_run:
        from cibridge.events.transports import load

        for name in found.to:
            try:
                transport = load(name, runtime.config, runtime.env)
            except CibridgeError as error:
                platform.warning(f"events: {error}")
                continue
            for event in events:
                platform.print(
                    f"events: would send {event.type} {event.id}: {transport.describe(event)}"
                )
        return code
    complete = publish.publish(events, found, runtime.config, runtime.env, platform)
    if not complete and found.fail_on_error and code == EXIT_OK:
        platform.error("events: not every event was delivered, and events.fail_on_error is true")
        return EXIT_FAILURE
    return code


def _events(runtime: Runtime) -> list[Event]:
    from cibridge.cli import release_hook
    from cibridge.events import from_command

    run = from_command.run_of(runtime.context, runtime.env, release_hook.key(runtime))
    outputs = runtime.platform.outputs
    command = runtime.args.command
    if command == "notify":
        return from_command.notify(run, runtime.args, outputs)
    if command == "jira":
        return from_command.jira(run, outputs, runtime.jira_site())
    if command == "gate":
        return from_command.gate(run, runtime.sets(), outputs)
    if command == "summary":
        return from_command.summary(run, outputs)
    if outputs.get("dispatched", "0") == "0":
        return []
    return from_command.trigger(run, outputs)
