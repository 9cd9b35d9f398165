"""Where events go: ``events.to`` (or ``--events-to`` / ``CIBRIDGE_EVENTS_TO``) names
transports configured under ``integration_configs.messaging``; the spool folder and how
long a publish may keep trying."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.durations import parse_duration
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config

TRANSPORTS = ("http", "nats", "rabbitmq", "kafka")
DEFAULT_BUDGET = 10.0  # seconds all retries of one publish may take


@dataclass(frozen=True)
class EventSettings:
    to: tuple[str, ...]
    spool: Path
    fail_on_error: bool
    budget: float  # seconds


def wanted(config: Config, env: Mapping[str, str], given: list[str] | None) -> tuple[str, ...]:
    """The transports asked for; empty when events are off. Cheap: reads no transport."""
    raw: object = given
    where = "--events-to"
    if not raw:
        raw = env.get(variables.name("events", "to")) or config.value("events", "to")
        where = config.where("events", "to")
    if not raw:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise CibridgeError(f"events.to ({where}) is a list of transports")
    names: list[str] = []
    for item in items:
        for name in str(item).split(","):
            if name.strip():
                names.append(name.strip())
    unknown = [name for name in names if name not in TRANSPORTS]
    if unknown:
        raise CibridgeError(
            f"events.to ({where}) names {', '.join(repr(u[:30]) for u in unknown)}",
            hint=f"transports are {', '.join(TRANSPORTS)}, set up under "
            "integration_configs.messaging",
        )
    return tuple(dict.fromkeys(names))


def load(config: Config, env: Mapping[str, str], given: list[str] | None) -> EventSettings:
    to = wanted(config, env, given)
    spool = env.get(variables.name("events", "spool")) or config.value("events", "spool")
    if not spool:
        base = env.get("RUNNER_TEMP") or tempfile.gettempdir()
        spool = os.path.join(base, "cibridge-events")
    budget_raw = config.value("events", "timeout")
    budget = DEFAULT_BUDGET if budget_raw is None else parse_duration(budget_raw)
    if budget is None or budget <= 0:
        raise CibridgeError(
            f"events.timeout ({config.where('events', 'timeout')}) is not a duration",
            hint="write e.g. 10s: how long a publish may keep retrying before it spools",
        )
    fail = config.value("events", "fail_on_error")
    if fail is not None and not isinstance(fail, bool):
        raise CibridgeError(
            f"events.fail_on_error ({config.where('events', 'fail_on_error')}) is true or false"
        )
    return EventSettings(to, Path(str(spool)), bool(fail), budget)
