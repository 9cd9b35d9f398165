"""How fast the gate sees a regression, and whether it ever fails a healthy or idle service
(issue 8). A real Prometheus scrapes the loopback service of the e2e tests every S = 1 s;
the gate evaluates an error-ratio check every I = 1 s.

- Regression trials: the gate starts on a healthy service; after a random 1.5-3 s the error
  rate jumps from 0.1 % to 30 % at t0; the check is critical, so the gate returns as soon as
  one observation fails, at t_fail. Reported: p50/p95 of (t_fail - t0) / (S + I).
  Target: p95 <= 1.5.
- A/A runs: a healthy service (0.1 % errors drawn as whole Poisson counts, so the ratio is
  noisy, not a constant) judged over a whole window; any fail is a false failure.
- No-traffic runs: a service that serves nothing (error ratio 0/0); any fail is a false
  failure. Target: zero false failures.

    python benchmarks/gate_latency.py [--trials 20] [--aa 10] [--idle 5] [--seed 8]

Bounded: every wait has a deadline and the whole run stops after --budget seconds (default
420), reporting what it measured. The gate runs in-process (cibridge.gate.service), so the
figures are the gate's, not Python's start-up time.
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
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]  # the e2e harness and its loopback service

from tests.e2e.harness import prometheus  # noqa: E402
from tests.e2e.metrics_app import MetricsApp  # noqa: E402

from cibridge.clients.prometheus import PrometheusClient  # noqa: E402
from cibridge.config import loader as config  # noqa: E402
from cibridge.gate import plan, service, settings  # noqa: E402
from cibridge.gate.results import GateResult  # noqa: E402
from cibridge.http.transport import HttpSettings, Transport  # noqa: E402

SCRAPE = 1.0  # S: the harness's scrape_interval
INTERVAL = 1.0  # I: the check's interval
TARGET_P95 = 1.5
JOB = "bench"
HEALTHY = 0.001
REGRESSED = 0.3
RATIO_OF = (
    'sum(rate(http_requests_total{{job="{job}", status=~"5.."}}[4s]))'
    ' / sum(rate(http_requests_total{{job="{job}"}}[4s]))'
)
RATIO = RATIO_OF.format(job=JOB)
CHECK = """post_deployment_validation:
  metrics_validation:
    - name: error_rate
      query: '{query}'
      max_value: 0.01
      duration: {duration}s
      interval: {interval}s
      critical: true
      failure_action: rollback
  rollback_policy: {{enabled: true, max_failures: 1, rollback_pipeline: rollback}}
"""


class Bench:
    def __init__(self, app: MetricsApp, base: str, http: Transport, scratch: Path) -> None:
        self.app = app
        self.base = base
        self.http = http
        self.scratch = scratch
        self.client = PrometheusClient(http, base)

    def ratio(self) -> float | None:
        url = f"{self.base}/api/v1/query?query={quote(RATIO)}"
        result = self.http.request("GET", url, what="Prometheus").json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def settle(self, wanted: Callable[[float | None], bool], state: str) -> None:
        deadline = time.monotonic() + 30
        while not wanted(last := self.ratio()):
            if time.monotonic() > deadline:
                raise SystemExit(f"Prometheus did not show {state} within 30s (ratio {last})")
            time.sleep(0.2)

    def healthy(self) -> None:
        self.app.switch(rps=100, error_rate=HEALTHY)
        self.settle(lambda v: v is not None and v < 0.005, "a healthy error ratio")

    def gate(self, duration: float) -> settings.GateSettings:
        path = self.scratch / f"gate-{duration:g}.yml"
        query = RATIO_OF.format(job="{{service_name}}")
        path.write_text(
            CHECK.format(query=query, duration=f"{duration:g}", interval=f"{INTERVAL:g}")
        )
        loaded = settings.load(config.load([path], {}))
        return plan.render(loaded, {"service_name": JOB})

    def run(self, gate: settings.GateSettings) -> GateResult:
        deps = service.Dependencies(self.client, self.http, progress=lambda _line: None)
        return service.run(service.GateRequest(gate, time.time()), deps)


def regression(bench: Bench, rng: random.Random) -> tuple[float | None, str]:
    """(t_fail - t0) / (S + I), or None when the gate did not fail; and its verdict."""
    bench.healthy()
    gate = bench.gate(duration=20)
    done: dict[str, object] = {}

    def judge() -> None:
        done["result"] = bench.run(gate)
        done["at"] = time.time()

    thread = threading.Thread(target=judge, daemon=True)
    thread.start()
    time.sleep(rng.uniform(1.5, 3.0))  # a random phase against scrapes and ticks
    t0 = time.time()
    bench.app.switch(error_rate=REGRESSED)
    thread.join(timeout=30)
    result = done.get("result")
    if not isinstance(result, GateResult):
        return None, "timeout"
    if result.verdict != "fail":
        return None, result.verdict
    t_fail = done["at"]
    assert isinstance(t_fail, float)
    if t_fail < t0:  # failed before the regression: counted as a false failure, not a latency
        return None, "fail-before-t0"
    return (t_fail - t0) / (SCRAPE + INTERVAL), "fail"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(fraction * len(ordered)) - 1)  # nearest rank
    return ordered[rank]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--aa", type=int, default=10, help="healthy (A/A) runs")
    parser.add_argument("--idle", type=int, default=5, help="no-traffic runs")
    parser.add_argument("--window", type=float, default=6.0, help="A/A and idle window, s")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--budget", type=float, default=420.0, help="stop after this many s")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    stop_at = started + args.budget
    latencies: list[float] = []
    misses: list[str] = []
    false_aa: list[str] = []
    false_idle: list[str] = []
    aa_runs = idle_runs = 0
    with (
        tempfile.TemporaryDirectory() as scratch,
        MetricsApp(rps=100, error_rate=HEALTHY, rng=random.Random(args.seed)) as app,
        prometheus(Path(scratch), [app.target], job=JOB) as base,
        Transport(HttpSettings(retries=0)) as http,
    ):
        bench = Bench(app, base, http, Path(scratch))
        for trial in range(args.trials):
            if time.monotonic() > stop_at:
                print(f"budget spent after {trial} regression trials")
                break
            latency, verdict = regression(bench, rng)
            if latency is None:
                misses.append(verdict)
            else:
                latencies.append(latency)
            print(f"trial {trial + 1:2d}: {verdict:<14} {latency if latency is not None else ''}")
        bench.healthy()
        window = bench.gate(duration=args.window)
        for _ in range(args.aa):
            if time.monotonic() > stop_at:
                break
            verdict = bench.run(window).verdict
            aa_runs += 1
            if verdict == "fail":
                false_aa.append(verdict)
        app.switch(rps=0)
        bench.settle(lambda v: v is not None and math.isnan(v), "no traffic (0/0)")
        idle_verdicts = []
        for _ in range(args.idle):
            if time.monotonic() > stop_at:
                break
            verdict = bench.run(window).verdict
            idle_runs += 1
            idle_verdicts.append(verdict)
            if verdict == "fail":
                false_idle.append(verdict)
    print(
        f"\nscrape S = {SCRAPE:g} s, interval I = {INTERVAL:g} s, check: error ratio over [4s]; "
        f"whole run {time.monotonic() - started:.0f} s"
    )
    if latencies:
        p50 = statistics.median(latencies)
        p95 = percentile(latencies, 0.95)
        seconds = [value * (SCRAPE + INTERVAL) for value in latencies]
        print(
            f"regression: {len(latencies)} detected of {len(latencies) + len(misses)} trials; "
            f"(t_fail - t0)/(S+I) p50 {p50:.2f} p95 {p95:.2f} max {max(latencies):.2f} "
            f"(seconds: p50 {statistics.median(seconds):.2f} p95 {percentile(seconds, 0.95):.2f})"
            f"; target p95 <= {TARGET_P95}: {'met' if p95 <= TARGET_P95 else 'MISSED'}"
        )
    if misses:
        print(f"regression trials not detected: {misses}")
    print(
        f"false failures: A/A {len(false_aa)} of {aa_runs}, no traffic {len(false_idle)} of "
        f"{idle_runs} (no-traffic verdicts: {', '.join(sorted(set(idle_verdicts))) or '-'})"
    )
    ok = bool(latencies) and percentile(latencies, 0.95) <= TARGET_P95
    return 0 if ok and not misses and not false_aa and not false_idle else 1


if __name__ == "__main__":
    sys.exit(main())
