"""Durations as the configuration writes them and as cibridge writes them back.

One syntax everywhere: Prometheus's (``1h30m``, ``5m``, ``30s``, ``500ms``, ``2d``), a
fraction allowed in a term (``1.5m``) and a space before the unit (``30 s``), or a plain
number of seconds (``45``, ``"1.5"``). What cibridge writes (:func:`seconds_text`) is pure
Prometheus syntax, so a rule, a query parameter and a message all read back the same.
"""

from __future__ import annotations

import math
import re

from cibridge.core.errors import CibridgeError

HINT = "write e.g. 30s, 5m, 1h30m, 500ms or a number of seconds"

# Largest first, each unit at most once, as Prometheus orders them.
_UNITS = (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60),
          ("s", 1), ("ms", 0.001))  # fmt: skip
# "m" must not take the "m" of "ms".
_DURATION = re.compile(
    "".join(rf"(?:(\d+(?:\.\d+)?)\s*{unit}{'(?!s)' if unit == 'm' else ''})?" for unit, _ in _UNITS)
)


def parse_duration(value: object) -> float | None:
    """Seconds in ``value``, or None when it is not a duration (or is negative)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            return None
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    text = str(value).strip()
    number = _number(text)
    if number is not None:
        return number if number >= 0 else None
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        return None
    terms = zip(match.groups(), _UNITS, strict=True)
    return float(sum(float(amount) * size for amount, (_, size) in terms if amount))


def parse_seconds(value: object, where: str) -> float:
    """Seconds in ``value``; a usage error naming ``where`` (file and line) when it is not
    a duration."""
    seconds = parse_duration(value)
    if seconds is None:
        raise CibridgeError(f"{where}: {value!r} is not a duration", hint=HINT)
    return seconds


MAX_TIMEOUT = 86400.0  # a day: past it, sockets and timers overflow, and no CI waits that long


def parse_timeout(value: object, where: str) -> float:
    """Like :func:`parse_seconds`, for a timeout: 0 would wait for no answer at all, and
    more than a day is a typo (the platform's socket timers overflow well above it)."""
    seconds = parse_seconds(value, where)
    if seconds <= 0:
        raise CibridgeError(f"{where}: a timeout of {value!r} lets no answer arrive", hint=HINT)
    if seconds > MAX_TIMEOUT:
        raise CibridgeError(f"{where}: a timeout of {value!r} is more than a day", hint=HINT)
    return seconds


def seconds_text(seconds: float) -> str:
    """``5m``, ``1h30m``, ``1s500ms``, ``2d``: largest units first, whole milliseconds, as
    Prometheus reads a duration (it refuses ``1.5s``)."""
    if seconds < 0:
        return f"-{seconds_text(-seconds)}"
    remaining = round(seconds * 1000)
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, round(size * 1000))
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
