"""A comparison's windows from Prometheus: the step, windows that share no point, and as few
range queries as the limit of points per series allows."""

from __future__ import annotations

from dataclasses import dataclass, field

from cibridge.clients.prometheus import Answer, Series
from cibridge.gate.samples import pooled, prometheus_windows, step
from cibridge.gate.settings import MAX_POINTS, Comparison
from tests.gate.helpers import metric


@dataclass
class Ranges:
    calls: list[tuple[float, float, float]] = field(default_factory=list)

    def range(self, query: str, start: float, end: float, step: float) -> Answer:
        self.calls.append((start, end, step))
        count = round((end - start) / step) + 1
        points = [(start + k * step, float(k)) for k in range(count)]
        return Answer([Series((("pod", "a"),), points), Series((("pod", "b"),), points[:2])])


def test_the_step_gives_each_window_enough_points() -> None:
    assert step(metric(interval=30.0, comparison=Comparison())) == 1.0
    assert step(metric(interval=30.0, comparison=Comparison(min_samples=20))) == 0.5
    assert step(metric(interval=2.0, comparison=Comparison())) == 0.067  # whole milliseconds


def test_windows_share_no_point_and_pool_every_series() -> None:
    answer = Answer([Series((), [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]), Series((), [(2.0, 9.0)])])
    assert pooled(answer, 0.0, 1.0) == [2.0]
    assert pooled(answer, 1.0, 2.0) == [3.0, 9.0]


def test_a_long_history_is_read_in_chunks_under_prometheus_limit() -> None:
    check = metric(interval=30.0, duration=86_400.0, comparison=Comparison())
    ticks = [1000.0 + 30 * k for k in range(check.observations)]
    source = Ranges()
    windows, warnings = prometheus_windows(source, check, "q", ticks)
    assert len(windows) == len(ticks) == 2881 and warnings == []
    assert all((end - start) / every + 1 <= MAX_POINTS for start, end, every in source.calls)
    assert len(source.calls) == 8  # 2881 windows of 30 points: 365 windows a query
    # 30 points a window; pod b's second point lands in the first window of each query
    firsts = {index * 365 for index in range(8)}
    assert [len(w) for w in windows] == [31 if i in firsts else 30 for i in range(2881)]
