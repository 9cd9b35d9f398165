"""From query results to verdicts: one observation per moment, one verdict per check.

An observation judges every series the query returned (vector order is not guaranteed, so
no series is privileged) and names each offending one by its labels. No data and NaN are
what ``on_no_data`` / ``on_nan`` say (inconclusive by default: right after a rollout,
series vanish and traffic may not have started). A check fails after ``fail_after``
failed observations in a row (at once when ``critical``), errors only when Prometheus
did not answer, and passes only when at least half its observations had data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cibridge.clients.prometheus import Answer, Labels, QueryError, labels_text
from cibridge.core import isotime
from cibridge.core.durations import seconds_text
from cibridge.gate.results import Observation, Verdict, number
from cibridge.gate.settings import MetricCheck, baseline_text

# A query error that trying again in the window cannot fix.
FATAL_KINDS = frozenset({"bad_data", "bad_result", "auth", "not_found", "redirect", "not_json"})
Sample = tuple[Labels, float]


def judge(check: MetricCheck, value: float, base: float | None) -> tuple[Verdict, str]:
    """One series' value against the check's thresholds (and baseline value)."""
    if math.isnan(value):
        return check.on_nan, f"value is NaN (on_nan: {check.on_nan})"
    shown = number(value)
    if check.expected_value is not None:
        allowed = check.tolerance.of(check.expected_value)
        if abs(value - check.expected_value) > allowed:
            return "fail", f"{shown} is not {check.expected_value:g} ± {check.tolerance}"
    if check.min_value is not None and value < check.min_value:
        return "fail", f"{shown} < min_value {check.min_value:g}"
    if check.max_value is not None and value > check.max_value:
        return "fail", f"{shown} > max_value {check.max_value:g}"
    if math.isinf(value):
        # -Inf is under every max_value and +Inf over every min_value, but a division by
        # zero is no evidence of health: unsure, as NaN is.
        return check.on_nan, f"value is {shown}, not a finite number (on_nan: {check.on_nan})"
    if check.baseline is None:
        return "pass", f"{shown} within {check.threshold()}"
    return _against_baseline(check, value, base)


def _against_baseline(check: MetricCheck, value: float, base: float | None) -> tuple[Verdict, str]:
    baseline = check.baseline
    assert baseline is not None
    shown = number(value)
    if base is None or math.isnan(base):
        return "inconclusive", f"{shown}: no baseline data in the {baseline_text(baseline)}"
    change = value - base
    relative = f"{change / abs(base) * 100:+.1f}%" if base else f"{change:+.4g}"
    if baseline.max_increase is not None and change > 0:
        allowed = baseline.max_increase.of(base)
        if change > allowed and change > baseline.min_delta:
            return "fail", (
                f"{shown} is {relative} over the baseline {number(base)} "
                f"(allowed +{baseline.max_increase}, min_delta {baseline.min_delta:g})"
            )
    if baseline.max_decrease is not None and change < 0:
        allowed = baseline.max_decrease.of(base)
        if -change > allowed and -change > baseline.min_delta:
            return "fail", (
                f"{shown} is {relative} under the baseline {number(base)} "
                f"(allowed -{baseline.max_decrease}, min_delta {baseline.min_delta:g})"
            )
    return "pass", f"{shown} vs baseline {number(base)} ({relative})"


def observe(
    check: MetricCheck,
    samples: Sequence[Sample],
    at: float,
    baseline: Mapping[Labels, float] | None = None,
    stale: str = "",
) -> Observation:
    """The verdict on every series of one moment, combined as the check says; ``stale``
    says which samples were left out as stale (:func:`instant_samples`)."""
    if not samples:
        missing = f"no fresh data: {stale}" if stale else "no data"
        return Observation(at, check.on_no_data, f"{missing} (on_no_data: {check.on_no_data})")
    observation = _observe(check, samples, at, baseline)
    if stale:
        observation.why += f"; left out: {stale}"
    return observation


def _observe(
    check: MetricCheck,
    samples: Sequence[Sample],
    at: float,
    baseline: Mapping[Labels, float] | None,
) -> Observation:
    judged = []
    for labels, value in sorted(samples):
        base = _base_for(labels, baseline) if check.baseline is not None else None
        judged.append((labels, value, *judge(check, value, base)))
    failing = [item for item in judged if item[2] == "fail"]
    verdict: Verdict
    if check.combine == "any":
        verdict = _first(("pass", "inconclusive"), judged) or "fail"
    else:
        verdict = "fail" if failing else _first(("inconclusive",), judged) or "pass"
    offenders = [f"{labels_text(labels)}: {why}" for labels, _v, _verdict, why in failing]
    if verdict == "fail":
        worst = _worst(check, failing, baseline)
        why = worst[3] if len(judged) == 1 else f"{len(failing)} of {len(judged)} series failed"
        if len(judged) > 1:
            why += f"; worst {labels_text(worst[0])}: {worst[3]}"
        return Observation(at, "fail", why, worst[1], offenders)
    chosen = next((item for item in judged if item[2] == verdict), judged[0])
    why = chosen[3]
    if len(judged) > 1:
        why = f"{len(judged)} series, {verdict}; e.g. {labels_text(chosen[0])}: {why}"
    return Observation(at, verdict, why, chosen[1], offenders)


def _first(
    wanted: tuple[Verdict, ...], judged: list[tuple[Labels, float, Verdict, str]]
) -> Verdict | None:
    for verdict in wanted:
        if any(item[2] == verdict for item in judged):
            return verdict
    return None


def _worst(
    check: MetricCheck,
    failing: list[tuple[Labels, float, Verdict, str]],
    baseline: Mapping[Labels, float] | None,
) -> tuple[Labels, float, Verdict, str]:
    def badness(item: tuple[Labels, float, Verdict, str]) -> float:
        value = item[1]
        if math.isnan(value):
            return -math.inf
        if check.max_value is not None:
            return value
        if check.min_value is not None:
            return -value
        if check.expected_value is not None:
            return abs(value - check.expected_value)
        # Against a baseline each series has its own: the worst moved furthest from its own,
        # as a share of it (a drop and a rise alike), not the one with the highest value.
        base = _base_for(item[0], baseline)
        if base is None or math.isnan(base):
            return abs(value)
        return abs(value - base) / abs(base) if base else math.inf

    return max(failing, key=badness)


def _base_for(labels: Labels, baseline: Mapping[Labels, float] | None) -> float | None:
    if not baseline:
        return None
    if labels in baseline:
        return baseline[labels]
    # One aggregated series before and after, whatever its labels became (a new pod name).
    return next(iter(baseline.values())) if len(baseline) == 1 else None


def baseline_means(answer: Answer) -> dict[Labels, float]:
    """The mean of each series over the baseline window, NaN and ±Inf left out."""
    means = {}
    for series in answer.series:
        values = [value for _at, value in series.points if math.isfinite(value)]
        if values:
            means[series.labels] = sum(values) / len(values)
    return means


def moments(answer: Answer, ticks: Sequence[float]) -> list[tuple[float, list[Sample]]]:
    """A range query's result as the samples of each tick (Prometheus aligns points to
    start + k × step; a series without a point at a tick had no data then)."""
    by_tick: dict[int, list[Sample]] = {round(tick * 1000): [] for tick in ticks}
    for series in answer.series:
        for at, value in series.points:
            key = round(at * 1000)
            if key in by_tick:
                by_tick[key].append((series.labels, value))
    return [(tick, by_tick[round(tick * 1000)]) for tick in ticks]


def instant_samples(answer: Answer, at: float, max_age: float) -> tuple[list[Sample], str]:
    """The last sample of each series, and why any were left out. Prometheus stamps an
    instant query's samples with its evaluation time, so one stamped more than ``max_age``
    (the check's interval) before ``at`` (at time 0, or a cached answer replayed by
    something in between) says nothing about now: it counts as no data, never as a pass."""
    fresh: list[Sample] = []
    stale: list[tuple[Labels, float]] = []
    for series in answer.series:
        if not series.points:
            continue
        when, value = series.points[-1]
        if at - when > max_age:
            stale.append((series.labels, when))
        else:
            fresh.append((series.labels, value))
    if not stale:
        return fresh, ""
    labels, when = min(stale, key=lambda item: item[1])
    which = "the sample" if len(answer.series) == 1 else f"{len(stale)} stale, the oldest"
    shown = "" if len(answer.series) == 1 else f" ({labels_text(labels)})"
    why = (
        f"{which}{shown} is {seconds_text(at - when)} old (stamped {_moment(when)}, more "
        f"than the {seconds_text(max_age)} interval before the evaluation): stale data is "
        "no evidence"
    )
    return fresh, why


def _moment(when: float) -> str:
    try:
        return isotime.text(when)
    except (OverflowError, ValueError, OSError):  # beyond what a datetime holds
        return f"{when:g}"


def error_observation(at: float, error: QueryError) -> Observation:
    why = error.message + (f" (hint: {error.hint})" if error.hint else "")
    return Observation(at, "error", why, fatal=error.kind in FATAL_KINDS)


@dataclass
class Tally:
    """A check's observations so far, and its verdict once it is decided."""

    check: MetricCheck
    observations: list[Observation] = field(default_factory=list)
    in_a_row: int = 0
    failed: int = 0
    decided: Verdict | None = None
    decided_why: str = ""

    def add(self, observation: Observation) -> None:
        self.observations.append(observation)
        if observation.verdict == "fail":
            self.failed += 1
            self.in_a_row += 1
            if self.check.critical or self.in_a_row >= self.check.fail_after:
                self.decided = "fail"
                in_a_row = f" ({self.in_a_row} failed observations in a row)"
                critical = " (critical: the first failure ends the check)"
                suffix = critical if self.check.critical else in_a_row if self.in_a_row > 1 else ""
                self.decided_why = observation.why + suffix
        elif observation.verdict == "pass":
            self.in_a_row = 0
        elif observation.verdict == "error" and observation.fatal and self.decided is None:
            self.decided, self.decided_why = "error", observation.why

    @property
    def done(self) -> bool:
        return self.decided is not None

    def final(self) -> tuple[Verdict, str]:
        if self.decided is not None:
            return self.decided, self.decided_why
        seen = self.observations
        if not seen:
            return "inconclusive", "no observation was made"
        errors = [o for o in seen if o.verdict == "error"]
        if errors:
            return "error", f"{len(errors)} of {len(seen)} queries failed: {errors[0].why}"
        passed = sum(1 for o in seen if o.verdict == "pass")
        unsure = [o for o in seen if o.verdict == "inconclusive"]
        note = ""
        if self.failed:
            note = f"; {self.failed} failed, fewer than {self.check.fail_after} in a row"
        if passed == 0 or len(unsure) > passed:
            last = unsure[-1].why if unsure else seen[-1].why
            return "inconclusive", f"{len(unsure)} of {len(seen)} observations: {last}{note}"
        if len(seen) == 1:
            return "pass", seen[0].why
        return "pass", f"{passed} of {len(seen)} observations passed; last: {seen[-1].why}{note}"
