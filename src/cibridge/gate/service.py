"""Run the gate: health checks, then every metric check over its window, then the verdict.

History first: the part of a window already behind ``deployed_at`` is read with one range
query per check, so a gate started after the window needs no waiting at all. The rest is
observed live, each check on its own interval. The gate stops early when its outcome is
settled (a critical check failed, or the rollback policy fired).

The verdict counts only blocking checks (failure_action rollback or fail): any failure
fails the gate, else any error makes it ``error`` (monitoring could not say), else any
inconclusive check makes it ``inconclusive``. The rollback fires when the policy is enabled
and rollback checks failed ``max_failures`` observations in all (a critical one at once);
query errors never count towards it.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from cibridge.clients.prometheus import Labels, QueryError
from cibridge.core.durations import seconds_text
from cibridge.gate import evaluate, health
from cibridge.gate.results import (
    CheckResult,
    GateAction,
    GateResult,
    Observation,
    Verdict,
    number,
)
from cibridge.gate.settings import GateSettings, MetricCheck

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient
    from cibridge.clients.prometheus import Answer, PrometheusClient
    from cibridge.http.transport import Transport


class MetricSource(Protocol):
    """Where a check's query runs: Prometheus, or Datadog answering in its shape."""

    def instant(self, query: str, at: float) -> Answer: ...
    def range(self, query: str, start: float, end: float, step: float) -> Answer: ...


# Ticks at least this old are read from history; newer ones are observed as they come.
HISTORY_MARGIN = 1.0


@dataclass
class GateRequest:
    settings: GateSettings  # rendered (plan.render)
    deployed_at: float  # unix seconds


@dataclass
class Dependencies:
    prometheus: PrometheusClient | None
    transport: Transport  # for HTTP health checks
    progress: Callable[[str], None] = print
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    clock: health.Clock = field(default_factory=health.Clock)
    datadog: DatadogClient | None = None

    def source(self, check: MetricCheck) -> MetricSource:
        if check.source == "datadog":
            from cibridge.gate.datadog import Window

            assert self.datadog is not None
            return Window(self.datadog, check)
        assert self.prometheus is not None
        return self.prometheus

    def samples(
        self, check: MetricCheck, query: str, ticks: list[float]
    ) -> tuple[list[list[float]], list[str]]:
        """A comparison's points in the window of each tick (:mod:`cibridge.gate.samples`)."""
        if check.source == "datadog":
            from cibridge.gate.datadog import Window

            assert self.datadog is not None
            return Window(self.datadog, check).samples(query, ticks)
        from cibridge.gate.samples import prometheus_windows

        return prometheus_windows(self.source(check), check, query, ticks)


@dataclass
class _Check:
    check: MetricCheck
    tally: evaluate.Tally
    ticks: list[float]
    baseline: dict[Labels, float] | None = None
    warnings: list[str] = field(default_factory=list)


class _Gate:
    def __init__(self, request: GateRequest, deps: Dependencies) -> None:
        self.request = request
        self.deps = deps
        self.policy = request.settings.rollback
        self.failed_rollback_observations = 0
        self.fired = ""  # why the rollback fired
        self.stopped = ""  # why the gate stopped early

    def after(self, at: float) -> str:
        return f"+{seconds_text(round(max(0.0, at - self.request.deployed_at)))}"

    def count(self, failure_action: str, critical: bool, failed: int, name: str) -> None:
        """Account a check's failed observations towards the rollback and early stop."""
        if not failed:
            return
        if failure_action == "rollback" and self.policy.enabled:
            self.failed_rollback_observations += failed
            total, limit = self.failed_rollback_observations, self.policy.max_failures
            if critical and not self.fired:
                self.fired = f"critical check {name} failed"
            elif total >= limit and not self.fired:
                self.fired = (
                    f"{total} failed observation(s) of rollback checks ≥ max_failures {limit}"
                )
        if critical and not self.stopped:
            self.stopped = f"critical check {name} failed"
        if self.fired and not self.stopped:
            self.stopped = f"rollback decided: {self.fired}"

    # -- health -------------------------------------------------------------------------

    def health(self) -> list[CheckResult]:
        results = []
        for http in self.request.settings.http:
            results.append(health.http_check(http, self.deps.transport, self.deps.clock))
        for tcp in self.request.settings.tcp:
            results.append(health.tcp_check(tcp, self.deps.clock))
        for result in results:
            self.deps.progress(f"{result.name}: {result.verdict} — {result.why}")
            self.count(
                result.failure_action, result.critical, result.failed_observations, result.name
            )
        return results

    # -- metrics ------------------------------------------------------------------------

    def plan(self, check: MetricCheck) -> _Check:
        start = self.request.deployed_at + check.initial_delay
        if check.duration:
            ticks = [start + k * check.interval for k in range(check.observations)]
        else:
            ticks = [max(start, self.deps.now())]
        return _Check(check, evaluate.Tally(check), ticks)

    def query_baseline(self, item: _Check) -> bool:
        baseline = item.check.baseline
        if baseline is None:
            return True
        end = self.request.deployed_at
        step = max(item.check.interval, baseline.window / 1000)
        try:
            answer = self.deps.source(item.check).range(
                item.check.query, end - baseline.window, end, step
            )
        except QueryError as error:
            item.tally.add(evaluate.error_observation(end, error))
            item.tally.decided = item.tally.decided or "error"
            item.tally.decided_why = item.tally.decided_why or f"baseline: {error.message}"
            return False
        item.warnings.extend(answer.warnings)
        item.baseline = evaluate.baseline_means(answer)
        shown = ", ".join(number(v) for v in list(item.baseline.values())[:3]) or "no data"
        self.deps.progress(
            f"{item.check.name}: baseline over {seconds_text(baseline.window)} "
            f"before the deploy: {shown}"
        )
        return True

    def history(self, item: _Check) -> None:
        """Ticks already in the past, in one query."""
        now = self.deps.now() - HISTORY_MARGIN
        past = [tick for tick in item.ticks if tick <= now]
        if not past or item.check.duration == 0:
            return
        check = item.check
        if check.comparison is not None:
            self.compare_history(item, past, now)
            return
        source = self.deps.source(check)
        try:
            if len(past) == 1:
                answer = source.instant(check.query, past[0])
            else:
                answer = source.range(check.query, past[0], past[-1], check.interval)
        except QueryError as error:
            self.add(item, evaluate.error_observation(past[-1], error))
            item.ticks = [tick for tick in item.ticks if tick > now]
            return
        item.warnings.extend(answer.warnings)
        for at, samples in evaluate.moments(answer, past):
            self.add(item, evaluate.observe(check, samples, at, item.baseline), quiet=True)
        item.ticks = [tick for tick in item.ticks if tick > now]
        verdict, why = item.tally.final() if item.tally.observations else ("", "")
        self.deps.progress(
            f"{check.name}: {len(past)} observation(s) from history "
            f"({self.after(past[0])} to {self.after(past[-1])}): {verdict} — {why}"
        )

    def compare_history(self, item: _Check, past: list[float], now: float) -> None:
        for observation in self.compared(item, past):
            self.add(item, observation, quiet=True)
        item.ticks = [tick for tick in item.ticks if tick > now]
        verdict, why = item.tally.final()
        self.deps.progress(
            f"{item.check.name}: {len(past)} comparison(s) from history "
            f"({self.after(past[0])} to {self.after(past[-1])}): {verdict} — {why}"
        )

    def compared(self, item: _Check, ticks: list[float]) -> list[Observation]:
        """The canary comparison of each tick's window; a query error ends them all."""
        from cibridge.gate import comparison

        check = item.check
        answers = []
        for key, query in (("query", check.query), ("baseline_query", check.baseline_query)):
            try:
                answers.append(self.deps.samples(check, query, ticks))
            except QueryError as error:
                failed = QueryError(f"{key}: {error.message}", error.kind, error.hint)
                return [evaluate.error_observation(ticks[-1], failed)]
        (canary, warned), (baseline, also) = answers
        item.warnings.extend(warned + also)
        return [
            comparison.observe(check, points, base, tick)
            for tick, points, base in zip(ticks, canary, baseline, strict=True)
        ]

    def add(self, item: _Check, observation: Observation, *, quiet: bool = False) -> None:
        before = item.tally.failed
        item.tally.add(observation)
        check = item.check
        self.count(check.failure_action, check.critical, item.tally.failed - before, check.name)
        if not quiet:
            index = len(item.tally.observations)
            total = check.observations
            self.deps.progress(
                f"{check.name} {index}/{total} {self.after(observation.at)}: "
                f"{observation.verdict} — {observation.why}"
            )

    def live(self, items: list[_Check]) -> None:
        queue = [(tick, index) for index, item in enumerate(items) for tick in item.ticks]
        heapq.heapify(queue)
        while queue and not self.stopped:
            tick, index = heapq.heappop(queue)
            item = items[index]
            if item.tally.done and not self.keeps_counting(item):
                continue
            wait = tick - self.deps.now()
            if wait > 0:
                self.deps.sleep(wait)
            if item.check.comparison is not None:
                (observation,) = self.compared(item, [tick])
                self.add(item, observation)
                continue
            try:
                answer = self.deps.source(item.check).instant(item.check.query, tick)
            except QueryError as error:
                self.add(item, evaluate.error_observation(tick, error))
                continue
            item.warnings.extend(answer.warnings)
            samples, stale = evaluate.instant_samples(answer, tick, item.check.interval)
            observation = evaluate.observe(item.check, samples, tick, item.baseline, stale)
            self.add(item, observation)

    def keeps_counting(self, item: _Check) -> bool:
        """A failed rollback check is still observed: its failures count to max_failures."""
        return (
            item.tally.decided == "fail"
            and item.check.failure_action == "rollback"
            and self.policy.enabled
        )

    def metrics(self) -> list[CheckResult]:
        items = [self.plan(check) for check in self.request.settings.metrics]
        for item in items:
            if self.stopped:
                break
            if self.query_baseline(item):
                self.history(item)
        self.live(
            [item for item in items if not (item.tally.done and not self.keeps_counting(item))]
        )
        return [_result(item, self.stopped) for item in items]


def _result(item: _Check, stopped: str) -> CheckResult:
    check = item.check
    verdict, why = item.tally.final()
    if not item.tally.observations and stopped:
        verdict, why = "inconclusive", f"not observed: the gate stopped early ({stopped})"
    last = next((o for o in reversed(item.tally.observations) if o.value is not None), None)
    failing = next((o for o in item.tally.observations if o.verdict == "fail"), None)
    shown = failing if verdict == "fail" and failing else last
    limit = check.max_value if check.max_value is not None else check.min_value
    if limit is None:
        limit = check.expected_value
    return CheckResult(
        name=check.name,
        kind="metric",
        target=check.query,
        threshold=check.threshold(),
        verdict=verdict,
        why=why,
        failure_action=check.failure_action,
        critical=check.critical,
        value=number(shown.value) if shown else "",
        observations=item.tally.observations,
        failed_observations=item.tally.failed,
        warnings=sorted(set(item.warnings)),
        # The span of the window observed (JUnit's time), not the wall time it took.
        seconds=seen[-1].at - seen[0].at if (seen := item.tally.observations) else 0.0,
        limit=limit,
    )


def decide(
    checks: list[CheckResult], rollback_fired: str, pipeline: str
) -> tuple[Verdict, GateAction, str]:
    blocking = [check for check in checks if check.blocking]
    order: tuple[Verdict, ...] = ("fail", "error", "inconclusive")
    found = [v for v in order if any(check.verdict == v for check in blocking)]
    verdict: Verdict = found[0] if found else "pass"
    named = [
        f"{c.name} {c.verdict}" for c in blocking if c.verdict == verdict and verdict != "pass"
    ]
    why = "; ".join(named) if named else "every blocking check passed"
    # An alert check that failed, or could not be evaluated: someone should look.
    alerting = [c for c in checks if c.failure_action == "alert" and c.verdict in ("fail", "error")]
    action: GateAction = "none"
    if rollback_fired:
        action = "rollback"
        why += f"; rollback: {rollback_fired}" + (f" → {pipeline}" if pipeline else "")
    elif verdict != "pass" or alerting:
        action = "alert"
        if alerting:
            why += "; alert: " + ", ".join(f"{c.name} {c.verdict}" for c in alerting)
    return verdict, action, why


def run(request: GateRequest, deps: Dependencies) -> GateResult:
    started = deps.now()
    gate = _Gate(request, deps)
    checks = gate.health()
    if request.settings.metrics and not gate.stopped:
        checks += gate.metrics()
    elif request.settings.metrics:
        checks += [
            CheckResult(
                c.name,
                "metric",
                c.query,
                c.threshold(),
                "inconclusive",
                f"not observed: the gate stopped early ({gate.stopped})",
                c.failure_action,
            )
            for c in request.settings.metrics
        ]
    pipeline = request.settings.rollback.rollback_pipeline
    verdict, action, why = decide(checks, gate.fired, pipeline)
    return GateResult(
        checks=checks,
        verdict=verdict,
        action=action,
        why=why,
        rollback_pipeline=pipeline if action == "rollback" else "",
        started=started,
        finished=deps.now(),
        deployed_at=request.deployed_at,
    )
