"""`cibridge jira` on 100 issues with 100 ms of latency on every Jira request (issue 7).

    python benchmarks/jira_many.py [--issues 100] [--latency 0.1] [--runs 3]

Each run transitions and comments on fresh issues in the loopback Jira stand-in, which runs
in its own process so its work does not compete with cibridge for the interpreter lock (and
skips its OpenAPI and ADF-schema checks, which measure the stand-in, not cibridge). Reported:

- wall time of the whole `cibridge jira` process, default concurrency 8;
- the ideal time at that concurrency: the requests every issue needs one after another
  (counted at the stand-in), times the latency, for ceil(issues / 8) rounds, plus the one
  bulkfetch that checks the keys;
- the same run one issue at a time (--concurrency 1), once.

Target: wall <= 1.5 x ideal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 1.5
ROOT = Path(__file__).resolve().parents[1]


def serve(latency: float) -> None:
    """The stand-in process: answers `seed N` with N fresh keys and `count` with the number of
    requests received so far, one JSON line each; stops at end of input."""
    from cibridge.standins import StandIns, jira_of, jira_spec

    # No OpenAPI or ADF-schema check (see the module doc): the ADF one alone costs the
    # stand-in about 175 ms of CPU per comment.
    jira_spec.PLATFORM = jira_spec.ADF = Path("/nonexistent")
    with StandIns() as stand_ins:
        jira = jira_of(stand_ins)
        jira.knobs.latency = latency
        print(json.dumps(stand_ins.env()), flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "seed":
                keys = [jira.add_issue("PROJ", f"bench {i}", status="In Progress") for i in
                        range(int(argument))]  # fmt: skip
                print(json.dumps(keys), flush=True)
            elif command == "count":
                print(json.dumps(len(stand_ins.received)), flush=True)


class Server:
    def __init__(self, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.env: dict[str, str] = self._ask(None)

    def _ask(self, command: str | None) -> object:
        assert self.process.stdin and self.process.stdout
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def seed(self, count: int) -> list[str]:
        keys = self._ask(f"seed {count}")
        assert isinstance(keys, list)
        return [str(key) for key in keys]

    def count(self) -> int:
        return int(str(self._ask("count")))

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_jira(server: Server, keys: list[str], concurrency: int) -> tuple[float, int]:
    """Wall seconds of one whole process, and the requests it sent."""
    argv = [sys.executable, "-m", "cibridge", "jira", "--no-context", "--transition", "Done"]
    argv += ["--resolution", "Done", "--comment", "--environment", "production"]
    argv += ["--concurrency", str(concurrency)]
    for key in keys:
        argv += ["--issue", key]
    env = {**os.environ, **server.env, "CIBRIDGE_HTTP_RETRIES": "0"}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITLAB_CI", None)
    before = server.count()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cibridge jira failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, server.count() - before


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency)
        return 0
    server = Server(args.latency)
    try:
        walls, requests = [], 0
        for _ in range(args.runs):
            wall, requests = run_jira(server, server.seed(args.issues), args.concurrency)
            walls.append(wall)
        per_issue = (requests - 1) / args.issues  # one bulkfetch for all keys
        rounds = math.ceil(args.issues / args.concurrency)
        ideal = args.latency * (1 + rounds * per_issue)
        serial, _ = run_jira(server, server.seed(args.issues), 1)
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
