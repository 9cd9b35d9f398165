"""The points of each observation window, for a canary comparison: every point of every
series the query returned inside ``(tick - interval, tick]``, pooled.

Prometheus evaluates the query at ``interval / points`` steps, ``points`` being 30 or three
times ``min_samples`` if more, so a window with data always has enough points to test and
``min_samples`` catches only series that are missing, starting or NaN. Consecutive windows
share no point (the window's start is left out). Many windows are read with as few range
queries as Prometheus's limit of points per series allows. Datadog answers with whole
buckets instead (:meth:`cibridge.gate.datadog.Window.samples`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from cibridge.gate.settings import MAX_POINTS, MetricCheck

if TYPE_CHECKING:
    from cibridge.clients.prometheus import Answer


class RangeSource(Protocol):
    """What is read here of service.MetricSource (which imports this module)."""

    def range(self, query: str, start: float, end: float, step: float) -> Answer: ...


MIN_POINTS = 30
_SLACK = 1e-3  # Prometheus stamps points with the millisecond start it was sent


def step(check: MetricCheck) -> float:
    """The step of the range queries: whole milliseconds, as Prometheus takes them."""
    comparison = check.comparison
    points = max(MIN_POINTS, 3 * comparison.min_samples) if comparison else MIN_POINTS
    return max(0.001, round(check.interval / points, 3))


def prometheus_windows(
    source: RangeSource, check: MetricCheck, query: str, ticks: Sequence[float]
) -> tuple[list[list[float]], list[str]]:
    """Each tick's points (an empty list: no data), and Prometheus's warnings."""
    every = step(check)
    per_query = max(1, int((MAX_POINTS - 1) * every // check.interval) - 1)
    windows: list[list[float]] = []
    warnings: list[str] = []
    for first in range(0, len(ticks), per_query):
        chunk = ticks[first : first + per_query]
        answer = source.range(query, chunk[0] - check.interval, chunk[-1], every)
        warnings.extend(answer.warnings)
        windows += [pooled(answer, tick - check.interval, tick) for tick in chunk]
    return windows, warnings


def pooled(answer: Answer, start: float, end: float) -> list[float]:
    """Every point in ``(start, end]``, whichever series it is from."""
    return [
        value
        for series in answer.series
        for at, value in series.points
        if start + _SLACK < at <= end + _SLACK
    ]
