"""`cibridge jira` on 100 issues with 100 ms of latency on every Jira request (issue 7).

    python benchmarks/jira_many.py [--issues 100] [--latency 0.1] [--runs 3]

Each run transitions and comments on fresh issues in the loopback Jira stand-in, which runs
in its own process (`_standin_process.py`). Reported:

- wall time of the whole `cibridge jira` process, default concurrency 8;
- the ideal time at that concurrency: the requests every issue needs one after another
  (counted at the stand-in), times the latency, for ceil(issues / 8) rounds, plus the one
  bulkfetch that checks the keys;
- the same run one issue at a time (--concurrency 1), once.

Target: wall <= 1.3 x ideal.
"""

from __future__ import annotations

import argparse
import math
import statistics
from typing import TYPE_CHECKING

from _standin_process import StandInProcess, run_cibridge, serve

if TYPE_CHECKING:
    from cibridge.demo.standins import StandIns

TARGET = 1.3


def _seed(stand_ins: StandIns, count: str) -> list[str]:
    from cibridge.demo.standins import jira_of

    jira = jira_of(stand_ins)
    return [jira.add_issue("PROJ", f"bench {i}", status="In Progress") for i in range(int(count))]


def run_jira(server: StandInProcess, keys: list[str], concurrency: int) -> tuple[float, int]:
    """Wall seconds of one whole process, and the requests it sent."""
    argv = ["jira", "--no-context", "--transition", "Done", "--resolution", "Done"]
    argv += ["--comment", "--environment", "production", "--concurrency", str(concurrency)]
    for key in keys:
        argv += ["--issue", key]
    before = server.ask("count")
    elapsed = run_cibridge(argv, server.env)
    return elapsed, server.ask("count") - before


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency, {"seed": _seed, "count": lambda stand_ins, _: len(stand_ins.received)})
        return 0
    server = StandInProcess(__file__, args.latency)
    try:
        walls, requests = [], 0
        for _ in range(args.runs):
            wall, requests = run_jira(server, server.ask(f"seed {args.issues}"), args.concurrency)
            walls.append(wall)
        per_issue = (requests - 1) / args.issues  # one bulkfetch for all keys
        rounds = math.ceil(args.issues / args.concurrency)
        ideal = args.latency * (1 + rounds * per_issue)
        serial, _ = run_jira(server, server.ask(f"seed {args.issues}"), 1)
    finally:
        server.close()
    wall = statistics.median(walls)
    print(f"{args.issues} issues, {args.latency * 1000:.0f} ms per request, "
          f"{per_issue:g} requests per issue")  # fmt: skip
    print(f"concurrency {args.concurrency}: median {wall:.2f} s over {args.runs} runs "
          f"(ideal {ideal:.2f} s) -> {wall / ideal:.2f}x ideal (target <= {TARGET})")  # fmt: skip
    print(f"one by one: {serial:.2f} s -> {serial / wall:.1f}x slower than concurrent")
    return 0 if wall / ideal <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
