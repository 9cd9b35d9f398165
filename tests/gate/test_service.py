"""The whole gate with a scripted Prometheus and a fake clock: history in one range query,
live observations on their interval, the verdict, the action and the rollback decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from cibridge.clients.prometheus import Answer, QueryError, Series
from cibridge.gate.results import GateResult
from cibridge.gate.service import Dependencies, GateRequest, decide, run
from cibridge.gate.settings import GateSettings, MetricCheck, RollbackPolicy
from cibridge.http.transport import HttpSettings, Transport
from tests.gate.helpers import metric

DEPLOYED = 1_000_000.0
Values = Callable[[str, float], float | QueryError | None]


@dataclass
class FakePrometheus:
    """Answers each query at each moment from ``values(query, t)``; None is no data."""

    values: Values
    calls: list[tuple[str, str, float]] = field(default_factory=list)
    stamp: Callable[[float], float] = lambda at: at  # the time a sample is stamped with

    def _at(self, query: str, at: float) -> list[Series]:
        value = self.values(query, at)
        if isinstance(value, QueryError):
            raise value
        return [] if value is None else [Series((("job", "api"),), [(self.stamp(at), value)])]

    def instant(self, query: str, at: float | None = None) -> Answer:
        assert at is not None
        self.calls.append(("instant", query, at))
        return Answer(self._at(query, at))

    def range(self, query: str, start: float, end: float, step: float) -> Answer:
        self.calls.append(("range", query, start))
        points: dict[tuple[tuple[str, str], ...], Series] = {}
        at = start
        while at <= end + 1e-9:
            for series in self._at(query, at):
                points.setdefault(series.labels, Series(series.labels, [])).points += series.points
            at += step
        return Answer(list(points.values()))


@dataclass
class FakeTime:
    now: float
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def gate(
    checks: list[MetricCheck],
    values: Values,
    *,
    now: float,
    policy: RollbackPolicy | None = None,
    stamp: Callable[[float], float] = lambda at: at,
) -> tuple[GateResult, FakePrometheus, FakeTime, list[str]]:
    prometheus = FakePrometheus(values, stamp=stamp)
    clock = FakeTime(now)
    lines: list[str] = []
    deps = Dependencies(
        prometheus,  # type: ignore[arg-type]
        Transport(HttpSettings()),
        progress=lines.append,
        now=lambda: clock.now,
        sleep=clock.sleep,
    )
    settings = GateSettings(metrics=tuple(checks), rollback=policy or RollbackPolicy())
    return run(GateRequest(settings, DEPLOYED), deps), prometheus, clock, lines


def window(name: str = "errors", **fields: object) -> MetricCheck:
    defaults: dict[str, object] = {
        "name": name,
        "query": name,
        "max_value": 0.01,
        "duration": 300.0,
        "interval": 30.0,
    }
    return metric(**{**defaults, **fields})


def test_a_window_behind_deployed_at_is_one_range_query_and_no_wait() -> None:
    result, prometheus, clock, lines = gate([window()], lambda q, t: 0.001, now=DEPLOYED + 3600)
    assert result.verdict == "pass" and result.action == "none"
    assert [c[0] for c in prometheus.calls] == ["range"] and clock.slept == []
    assert "11 observation(s) from history" in lines[0]
    assert len(result.checks[0].observations) == 11


def test_a_live_window_waits_for_each_tick_and_prints_progress() -> None:
    result, prometheus, clock, lines = gate(
        [window(duration=90.0)], lambda q, t: 0.001, now=DEPLOYED
    )
    assert result.verdict == "pass"
    assert [c[0] for c in prometheus.calls] == ["instant"] * 4
    assert [c[2] - DEPLOYED for c in prometheus.calls] == [0, 30, 60, 90]
    assert clock.slept == [30, 30, 30]
    assert lines[-1].startswith("errors 4/4 +1m30s: pass")


def test_half_history_half_live() -> None:
    _, prometheus, clock, _ = gate([window(duration=120.0)], lambda q, t: 0.001, now=DEPLOYED + 61)
    assert [c[0] for c in prometheus.calls] == ["range", "instant", "instant"]
    assert clock.slept == [29, 30]


def test_rollback_fires_at_max_failures_and_stops_the_gate() -> None:
    bad_after = DEPLOYED + 60
    values: Values = lambda q, t: 0.5 if t >= bad_after else 0.001  # noqa: E731
    policy = RollbackPolicy(enabled=True, max_failures=3, rollback_pipeline="rollback-api")
    result, _, clock, _ = gate(
        [
            window(failure_action="rollback"),
            window("latency", max_value=1.0, failure_action="alert"),
        ],
        values,
        now=DEPLOYED,
        policy=policy,
    )
    assert result.verdict == "fail" and result.action == "rollback"
    assert result.rollback_pipeline == "rollback-api"
    errors = result.checks[0]
    assert errors.failed_observations == 3 and errors.value == "0.5"
    assert "3 failed observation(s) of rollback checks ≥ max_failures 3" in result.why
    assert clock.now == DEPLOYED + 120  # stopped at the third failure, not at +300


def test_failures_without_a_policy_fail_the_gate_without_rollback() -> None:
    result, *_ = gate([window(failure_action="rollback")], lambda q, t: 0.5, now=DEPLOYED + 3600)
    assert result.verdict == "fail" and result.action == "alert"
    assert result.rollback_pipeline == ""


def test_a_monitoring_outage_is_an_error_never_a_rollback() -> None:
    outage = QueryError("Prometheus answered HTTP 503 unavailable: TSDB not ready", "unavailable")
    policy = RollbackPolicy(enabled=True, max_failures=1, rollback_pipeline="rb")
    result, *_ = gate(
        [window(failure_action="rollback")], lambda q, t: outage, now=DEPLOYED + 3600, policy=policy
    )
    assert result.verdict == "error" and result.action == "alert"
    assert "TSDB not ready" in result.checks[0].why


def test_a_bad_query_errors_at_once_without_waiting_the_window() -> None:
    bad = QueryError("HTTP 400 bad_data: parse error", "bad_data")
    result, prometheus, clock, _ = gate([window()], lambda q, t: bad, now=DEPLOYED)
    assert result.verdict == "error" and len(prometheus.calls) == 1 and clock.slept == []


def test_alert_and_warn_failures_do_not_fail_the_gate() -> None:
    checks = [
        window("ok", max_value=1.0, failure_action="rollback"),
        window("slow", max_value=0.0001, failure_action="alert"),
        window("noisy", max_value=0.0001, failure_action="warn"),
    ]
    result, *_ = gate(checks, lambda q, t: 0.5 if q == "x" else 0.001, now=DEPLOYED + 3600)
    assert result.verdict == "pass" and result.exit_code == 0
    assert result.action == "alert" and "alert: slow fail" in result.why


def test_no_traffic_is_inconclusive_not_a_failure() -> None:
    result, *_ = gate([window(failure_action="rollback")], lambda q, t: None, now=DEPLOYED + 3600)
    assert result.verdict == "inconclusive" and result.exit_code == 1
    assert "no data" in result.checks[0].why


def test_initial_delay_shifts_the_window() -> None:
    _, prometheus, clock, _ = gate(
        [window(duration=30.0, initial_delay=60.0)], lambda q, t: 0.0, now=DEPLOYED
    )
    assert [c[2] - DEPLOYED for c in prometheus.calls] == [60, 90] and clock.slept == [60, 30]


def test_baseline_window_is_read_before_the_deploy() -> None:
    from cibridge.gate.settings import Baseline, Bound

    check = window(max_value=None, baseline=Baseline(600, Bound(0.1, True), min_delta=0.001))
    values: Values = lambda q, t: 0.010 if t < DEPLOYED else 0.020  # noqa: E731
    result, prometheus, *_ = gate([check], values, now=DEPLOYED + 3600)
    assert prometheus.calls[0] == ("range", "errors", DEPLOYED - 600)
    assert result.verdict == "fail" and "over the baseline 0.01" in result.checks[0].why


def test_decide_orders_fail_error_inconclusive() -> None:
    from cibridge.gate.results import CheckResult

    def c(verdict: str, action: str = "fail") -> CheckResult:
        return CheckResult(verdict, "metric", "q", "", verdict, verdict, action)  # type: ignore[arg-type]

    assert decide([c("pass"), c("error"), c("fail")], "", "")[0] == "fail"
    assert decide([c("inconclusive"), c("error")], "", "")[0] == "error"
    assert decide([c("pass"), c("inconclusive")], "", "")[:2] == ("inconclusive", "alert")
    assert decide([c("pass"), c("error", "warn")], "", "")[:2] == ("pass", "none")
    assert decide([c("pass"), c("error", "alert")], "", "")[:2] == ("pass", "alert")
    assert decide([c("pass"), c("inconclusive", "alert")], "", "")[:2] == ("pass", "none")


@pytest.mark.parametrize("policy", ["inconclusive", "fail"])
def test_a_sample_stamped_at_time_0_is_no_evidence_of_health(policy: str) -> None:
    check = metric(name="errors", query="errors", max_value=0.01, on_no_data=policy)
    result, _, _, _ = gate([check], lambda q, t: 0.001, now=DEPLOYED, stamp=lambda at: 0.0)
    (checked,) = result.checks
    assert checked.verdict == policy and result.verdict != "pass"
    assert checked.why.endswith(
        "no fresh data: the sample is 1w4d13h46m40s old (stamped 1970-01-01T00:00:00Z, more "
        "than the 30s interval before the evaluation): stale data is no evidence "
        f"(on_no_data: {policy})"
    )


@pytest.mark.parametrize(("behind", "verdict"), [(31.0, "inconclusive"), (29.0, "pass")])
def test_a_sample_older_than_the_interval_is_stale(behind: float, verdict: str) -> None:
    result, _, _, _ = gate(
        [window(duration=60.0)], lambda q, t: 0.001, now=DEPLOYED, stamp=lambda at: at - behind
    )
    assert result.checks[0].verdict == verdict


# -- canary against baseline ------------------------------------------------------------


def _noise(query: str, at: float, mean: float) -> float:
    import random

    return random.Random(f"{query}@{at:.3f}").gauss(mean, 5.0)


def comparing(name: str = "latency", **fields: object) -> MetricCheck:
    from cibridge.gate.settings import Comparison

    settings = fields.pop("comparison", None) or Comparison(tolerance=0.1)
    return window(
        name, max_value=None, query="canary", baseline_query="stable", comparison=settings, **fields
    )


def test_a_comparison_from_history_reads_each_side_once_and_judges_every_window() -> None:
    result, prometheus, clock, lines = gate(
        [comparing()], lambda q, t: _noise(q, t, 100.0), now=DEPLOYED + 3600
    )
    assert result.verdict == "pass", result.checks[0].why
    assert [(c[0], c[1]) for c in prometheus.calls] == [("range", "canary"), ("range", "stable")]
    assert prometheus.calls[0][2] == DEPLOYED - 30  # the first window's start
    assert clock.slept == []
    observations = result.checks[0].observations
    assert len(observations) == 11
    assert all(o.compared and o.compared.canary_points == 30 for o in observations)
    assert "11 comparison(s) from history" in lines[0]


def test_a_canary_worse_than_its_baseline_fails_and_reports_the_numbers() -> None:
    def values(query: str, at: float) -> float:
        return _noise(query, at, 130.0 if query == "canary" else 100.0)

    result, _prometheus, _clock, _lines = gate(
        [comparing(failure_action="rollback")],
        values,
        now=DEPLOYED + 3600,
        policy=RollbackPolicy(enabled=True, max_failures=2, rollback_pipeline="rollback"),
    )
    assert result.verdict == "fail" and result.action == "rollback"
    check = result.checks[0]
    assert "significantly higher by more than 10%" in check.why
    assert check.value == check.observations[0].why.split("canary median ")[1].split(" ")[0]


def test_a_live_comparison_queries_each_window_as_it_ends() -> None:
    result, prometheus, clock, _lines = gate(
        [comparing(duration=60.0)], lambda q, t: _noise(q, t, 100.0), now=DEPLOYED
    )
    assert result.verdict == "pass"
    assert [c[2] for c in prometheus.calls] == [DEPLOYED - 30, DEPLOYED - 30] + [
        DEPLOYED + k * 30 for k in (0, 0, 1, 1)
    ]
    assert clock.slept == [30.0, 30.0]


def test_a_missing_baseline_is_no_data_and_a_baseline_error_says_so() -> None:
    result, *_ = gate(
        [comparing()], lambda q, t: _noise(q, t, 1) if q == "canary" else None, now=DEPLOYED + 3600
    )
    assert result.verdict == "inconclusive"
    assert "no data for the baseline (baseline_query)" in result.checks[0].why

    def broken(query: str, at: float) -> float | QueryError:
        return QueryError("parse error", "bad_data") if query == "stable" else 1.0

    result, *_ = gate([comparing()], broken, now=DEPLOYED + 3600)
    assert result.verdict == "error" and "baseline_query: parse error" in result.checks[0].why
