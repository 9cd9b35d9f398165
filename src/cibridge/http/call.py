"""One request in flight, as the retry policy and the watchdog see it (through its thread).

The transport enters a call for each request; the session's retry hook and the fault
reader find it with :func:`current_call`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass
class Call:
    """One request as the retry policy and the watchdog see it (through its thread)."""

    what: str
    method: str
    origin: str
    deadline: float
    max_wait: float
    sleep: Callable[[float], None]
    jitter: Callable[[], float]
    started: float = 0.0  # of the current attempt
    attempt: object = None  # identifies the current attempt to its watchdog
    deadline_hit: bool = False
    redirected: bool = False
    watched: set[Any] = field(default_factory=set)  # connections armed for this call


_local = threading.local()


def current_call() -> Call | None:
    call: Call | None = getattr(_local, "call", None)
    return call


def enter(call: Call) -> Call | None:
    """Make ``call`` this thread's; the one it replaces, for :func:`leave`."""
    previous = current_call()
    _local.call = call
    return previous


def leave(previous: Call | None) -> None:
    _local.call = previous
