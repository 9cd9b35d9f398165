"""Deliver events to every transport asked for, without failing the build or losing any.

Each transport gets the events and retries what it did not acknowledge, with backoff,
until the time ``events.timeout`` allows (default 10 s) is spent; an event a transport
refuses for good (a 413) is not tried again. What is still undelivered is written to the
spool and a warning says where and how to send it (``cibridge events flush``). The
command's own exit code is unchanged, unless ``events.fail_on_error: true``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError
from cibridge.events import spool
from cibridge.events.transports import Refusal, load

if TYPE_CHECKING:
    from pathlib import Path

    from cibridge.config.loader import Config
    from cibridge.context.platforms import Platform
    from cibridge.events.model import Event
    from cibridge.events.settings import EventSettings

FIRST_DELAY = 0.25


@dataclass
class Delivery:
    """What became of one transport's events."""

    transport: str
    delivered: list[Event] = field(default_factory=list)
    undelivered: list[tuple[Event, str]] = field(default_factory=list)


def deliver(
    transport_name: str,
    events: Sequence[Event],
    config: Config,
    env: Mapping[str, str],
    budget: float,
) -> Delivery:
    result = Delivery(transport_name)
    try:
        transport = load(transport_name, config, env)
    except CibridgeError as error:
        result.undelivered = [(event, str(error)) for event in events]
        return result
    deadline = time.monotonic() + budget
    pending = list(events)
    delay = FIRST_DELAY
    reasons: dict[str, str] = {}
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        answers: list[Refusal | None] = transport.send(pending, left)
        retry = []
        for event, refusal in zip(pending, answers, strict=True):
            if refusal is None:
                result.delivered.append(event)
            elif refusal.final:
                result.undelivered.append((event, refusal.reason))
            else:
                reasons[event.id] = refusal.reason
                retry.append(event)
        pending = retry
        if pending:
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay *= 2
    result.undelivered += [(e, reasons.get(e.id, "no time left to send it")) for e in pending]
    return result


def publish(
    events: Sequence[Event],
    settings: EventSettings,
    config: Config,
    env: Mapping[str, str],
    platform: Platform,
) -> bool:
    """Deliver, spool the rest, say so; True when every transport took every event."""
    complete = True
    for name in settings.to:
        delivery = deliver(name, events, config, env, settings.budget)
        if delivery.undelivered:
            complete = False
            kept = _spool(settings.spool, name, [e for e, _ in delivery.undelivered], platform)
            reason = delivery.undelivered[0][1]
            platform.warning(
                f"events: {len(delivery.undelivered)} of {len(events)} event(s) not delivered "
                f"to {name}: {reason}"
                + (
                    f"; kept in {kept}: `cibridge events flush` sends them"
                    if kept
                    else "; they could not be spooled either"
                )
            )
        elif events:
            platform.print(f"events: {len(events)} event(s) delivered to {name}")
    return complete


def _spool(where: Path, transport: str, events: Sequence[Event], platform: Platform) -> str:
    try:
        return str(spool.keep(where, transport, events))
    except (CibridgeError, OSError) as error:
        platform.warning(f"events: {error}")
        return ""
