"""How fast the gate sees a regression in a Datadog check, and whether it ever fails a
healthy or idle service (issue 16). The Datadog stand-in serves the v2 timeseries API with
its own clock (real time): each 1 s bucket's value is drawn once and kept, and the bucket
still filling reads low, as Datadog's does. The check is evaluated every I = 2 s over
buckets of B = 1 s (a bucket may be at most half the interval).

- Regression trials: the gate starts on a healthy service (400 requests a second, errors
  drawn as whole Poisson counts at 0.1 %); after a random 1.5-3 s the error rate jumps to
  30 % at t0 (the bucket holding t0 is part healthy, part regressed); the check is
  critical, so the gate returns at the first failed observation, t_fail. Reported:
  p50/p95 of (t_fail - t0) / (B + I). Target: p95 <= 1.5.
- A/A runs: the healthy service judged over a whole window; any fail is a false failure.
- No-traffic runs: no requests (Datadog's null points); any fail is a false failure.

    python benchmarks/gate_latency_datadog.py [--trials 20] [--aa 10] [--idle 5] [--seed 8]

Bounded by --budget seconds. The gate runs in-process (cibridge.gate.service) against the
stand-in on loopback, so the figures are the gate's and its HTTP client's.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from cibridge.clients.datadog import DatadogClient, DatadogKeys  # noqa: E402
from cibridge.config import loader as config  # noqa: E402
from cibridge.demo.standins import StandIns  # noqa: E402
from cibridge.demo.standins.datadog import (  # noqa: E402
    DATADOG_API_KEY,
    DATADOG_APP_KEY,
    Datadog,
    datadog_of,
)
from cibridge.gate import plan, service, settings  # noqa: E402
from cibridge.gate.results import GateResult  # noqa: E402
from cibridge.http.transport import HttpSettings, Transport  # noqa: E402

BUCKET = 1.0  # B
INTERVAL = 2.0  # I
TARGET_P95 = 1.5
RPS = 400  # the Prometheus benchmark judges 4 s of 100 a second: as many requests
HEALTHY = 0.001
REGRESSED = 0.3
QUERY = "sum:trace.http.request.errors{service:bench}.as_rate()"
CHECK = """post_deployment_validation:
  metrics_validation:
    - name: error_rate
      source: datadog
      query: 'sum:trace.http.request.errors{{service:{{{{service_name}}}}}}.as_rate()'
      max_value: 0.01
      duration: {duration}s
      interval: {interval}s
      bucket: {bucket}s
      critical: true
      failure_action: rollback
  rollback_policy: {{enabled: true, max_failures: 1, rollback_pipeline: rollback}}
"""


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class Service:
    """Error ratios per 1 s bucket, drawn once per bucket so a re-read sees the same."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lock = threading.Lock()
        self.t0 = math.inf  # when the regression starts
        self.rps = RPS
        self.drawn: dict[float, float | None] = {}

    def ratio(self, start: float) -> float | None:
        with self.lock:
            if start not in self.drawn:
                self.drawn[start] = self._draw(start)
            return self.drawn[start]

    def _draw(self, start: float) -> float | None:
        if self.rps == 0:
            return None  # no requests: no point, as Datadog's null
        regressed = min(1.0, max(0.0, (start + BUCKET - self.t0) / BUCKET))
        rate = HEALTHY + (REGRESSED - HEALTHY) * regressed
        requests = self.rps * BUCKET
        return poisson(self.rng, requests * rate) / requests

    def reset(self, rps: int = RPS) -> None:
        with self.lock:
            self.t0, self.rps, self.drawn = math.inf, rps, {}


class Bench:
    def __init__(self, base: str, http: Transport, scratch: Path) -> None:
        self.http = http
        self.scratch = scratch
        self.client = DatadogClient(http, base, DatadogKeys(DATADOG_API_KEY, DATADOG_APP_KEY))

    def gate(self, duration: float) -> settings.GateSettings:
        path = self.scratch / f"gate-{duration:g}.yml"
        path.write_text(
            CHECK.format(duration=f"{duration:g}", interval=f"{INTERVAL:g}", bucket=f"{BUCKET:g}")
        )
        loaded = settings.load(config.load([path], {}))
        return plan.render(loaded, {"service_name": "bench"})

    def run(self, gate: settings.GateSettings) -> GateResult:
        deps = service.Dependencies(
            None, self.http, progress=lambda _line: None, datadog=self.client
        )
        return service.run(service.GateRequest(gate, time.time()), deps)


def regression(bench: Bench, app: Service, rng: random.Random) -> tuple[float | None, str]:
    app.reset()
    gate = bench.gate(duration=20)
    done: dict[str, object] = {}

    def judge() -> None:
        done["result"] = bench.run(gate)
        done["at"] = time.time()

    thread = threading.Thread(target=judge, daemon=True)
    thread.start()
    time.sleep(rng.uniform(1.5, 3.0))  # a random phase against buckets and ticks
    app.t0 = t0 = time.time()
    thread.join(timeout=30)
    result = done.get("result")
    if not isinstance(result, GateResult):
        return None, "timeout"
    if result.verdict != "fail":
        return None, result.verdict
    t_fail = done["at"]
    assert isinstance(t_fail, float)
    if t_fail < t0:
        return None, "fail-before-t0"
    return (t_fail - t0) / (BUCKET + INTERVAL), "fail"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]  # nearest rank


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--aa", type=int, default=10, help="healthy (A/A) runs")
    parser.add_argument("--idle", type=int, default=5, help="no-traffic runs")
    parser.add_argument("--window", type=float, default=8.0, help="A/A and idle window, s")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--budget", type=float, default=420.0, help="stop after this many s")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    app = Service(random.Random(args.seed))
    started = time.monotonic()
    stop_at = started + args.budget
    latencies: list[float] = []
    misses: list[str] = []
    false_aa = false_idle = aa_runs = idle_runs = 0
    idle_verdicts: set[str] = set()
    with (
        tempfile.TemporaryDirectory() as scratch,
        StandIns((Datadog,)) as stand_ins,
        Transport(HttpSettings(retries=0)) as http,
    ):
        datadog_of(stand_ins).series[QUERY] = lambda at: {("service:bench",): app.ratio(at)}
        bench = Bench(stand_ins.env()["DATADOG_API_URL"], http, Path(scratch))
        for trial in range(args.trials):
            if time.monotonic() > stop_at:
                print(f"budget spent after {trial} regression trials")
                break
            latency, verdict = regression(bench, app, rng)
            if latency is None:
                misses.append(verdict)
            else:
                latencies.append(latency)
            print(f"trial {trial + 1:2d}: {verdict:<14} {latency if latency is not None else ''}")
        window = bench.gate(duration=args.window)
        app.reset()
        for _ in range(args.aa):
            if time.monotonic() > stop_at:
                break
            aa_runs += 1
            judged = bench.run(window)
            false_aa += judged.verdict == "fail"
            if judged.verdict == "fail":
                print("A/A fail:", judged.checks[0].why)
        app.reset(rps=0)
        for _ in range(args.idle):
            if time.monotonic() > stop_at:
                break
            idle_runs += 1
            verdict = bench.run(window).verdict
            idle_verdicts.add(verdict)
            false_idle += verdict == "fail"
        queries = len(stand_ins.of("datadog"))
    print(
        f"\nbucket B = {BUCKET:g} s, interval I = {INTERVAL:g} s, check: error ratio, avg of "
        f"the whole buckets; {queries} Datadog queries; whole run "
        f"{time.monotonic() - started:.0f} s"
    )
    if latencies:
        p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        seconds = [value * (BUCKET + INTERVAL) for value in latencies]
        print(
            f"regression: {len(latencies)} detected of {len(latencies) + len(misses)} trials; "
            f"(t_fail - t0)/(B+I) p50 {p50:.2f} p95 {p95:.2f} max {max(latencies):.2f} "
            f"(seconds: p50 {statistics.median(seconds):.2f} p95 {percentile(seconds, 0.95):.2f})"
            f"; target p95 <= {TARGET_P95}: {'met' if p95 <= TARGET_P95 else 'MISSED'}"
        )
    if misses:
        print(f"regression trials not detected: {misses}")
    print(
        f"false failures: A/A {false_aa} of {aa_runs}, no traffic {false_idle} of {idle_runs} "
        f"(no-traffic verdicts: {', '.join(sorted(idle_verdicts)) or '-'})"
    )
    ok = bool(latencies) and percentile(latencies, 0.95) <= TARGET_P95
    return 0 if ok and not misses and not false_aa and not false_idle else 1


if __name__ == "__main__":
    sys.exit(main())
