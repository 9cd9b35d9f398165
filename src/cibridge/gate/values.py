"""Reading one configured value the way the gate's settings need it: numbers, durations
(:mod:`cibridge.core.durations`), absolute or relative amounts (``0.05``, ``"5%"``), choices
and flags, each error naming the file and line of the value and how to write it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.core import durations
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config


@dataclass(frozen=True)
class Bound:
    """An amount that is either absolute or a fraction of a reference (``"10%"``)."""

    amount: float
    relative: bool = False

    def of(self, reference: float) -> float:
        return abs(reference) * self.amount if self.relative else self.amount

    def __str__(self) -> str:
        return f"{self.amount * 100:g}%" if self.relative else f"{self.amount:g}"


class Reader:
    """Reads one check's values, each error naming its file and line."""

    def __init__(self, config: Config, path: tuple[str | int, ...]) -> None:
        self.config = config
        self.path = path

    def where(self, key: str = "") -> str:
        return self.config.where(*self.path, key) if key else self.config.where(*self.path)

    def raw(self, key: str) -> Any:
        return self.config.value(*self.path, key)

    def error(self, key: str, problem: str, hint: str) -> CibridgeError:
        return CibridgeError(f"{self.where(key)}: {key} {problem}", hint=hint)

    def text(self, key: str, default: str = "") -> str:
        value = self.raw(key)
        return default if value is None else str(value)

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        number = _float(value)
        if number is None:
            raise self.error(key, f"is {value!r}, not a number", f"write e.g. {key}: 0.5")
        return number

    def count(self, key: str, default: int, low: int = 0) -> int:
        value = self.raw(key)
        if value is None:
            return default
        number = _float(value)
        if number is None or number != int(number) or number < low:
            raise self.error(key, f"is {value!r}", f"write a whole number, {low} or more")
        return int(number)

    def positive_seconds(self, key: str, default: float) -> float:
        """A duration that must be more than zero (a timeout of 0 would wait for nothing)."""
        seconds = self.seconds(key, default)
        if seconds <= 0:
            raise self.error(key, f"is {self.raw(key)!r}; it must be more than 0", "e.g. 10s")
        return seconds

    def seconds(self, key: str, default: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        seconds = durations.parse_duration(value)
        if seconds is None:
            raise self.error(key, f"is {value!r}, not a duration", durations.HINT)
        return seconds

    def bound(self, key: str, *, percent_only: bool = False) -> Bound | None:
        value = self.raw(key)
        if value is None:
            return None
        text = str(value).strip()
        if text.endswith("%"):
            number = _float(text[:-1])
            if number is not None and number >= 0:
                return Bound(number / 100, relative=True)
        elif not percent_only:
            number = _float(value)
            if number is not None and number >= 0:
                return Bound(number)
        example = '"10%"' if percent_only else '0.05 (absolute) or "5%" (relative)'
        raise self.error(key, f"is {value!r}", f"write {example}")

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.raw(key)
        if value is None:
            return default
        if str(value) not in choices:
            raise self.error(key, f"is {value!r}", f"use one of {', '.join(choices)}")
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise self.error(key, f"is {value!r}", "write true or false")


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
