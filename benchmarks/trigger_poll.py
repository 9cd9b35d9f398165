"""What one `cibridge trigger --poll --dispatch` costs for 1,000 candidate issues (issue 9).

    python benchmarks/trigger_poll.py [--issues 1000] [--latency 0.0] [--concurrency 8]

The Jira and GitHub API stand-ins run in their own process (so their work does not compete
with cibridge for the interpreter lock; the OpenAPI check is off, it measures the stand-in).
The seed's deployment-triggers.yml is used unchanged, with `--poll-filter "project = PROJ1"`
so the poll sees exactly the seeded candidates: Stories in "Ready for Deployment".

Reported, for the first poll (every candidate dispatched and recorded) and the second (the
steady state of a poll every few minutes: everything already dispatched): requests by kind
as the stand-ins counted them, and the wall time of the whole process. With --latency, every
Jira request is answered that many seconds late (a real site answers in ~0.1-0.3 s).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed" / "deployment-triggers.yml"
PIPELINES = (
    "pipelines:\n  project1-deployment-pipeline:\n"
    "    github: {repository: acme/checkout, workflow: project1-deployment-pipeline.yml}\n"
)


def serve(latency: float) -> None:
    """The stand-in process: `seed N` adds N candidates, `count` reports requests by kind."""
    from cibridge.standins import StandIns, jira_of, jira_spec
    from cibridge.standins.jira_state import Project

    jira_spec.PLATFORM = Path("/nonexistent")
    with StandIns() as stand_ins:
        jira = jira_of(stand_ins)
        jira.state.projects["PROJ1"] = Project(10010, "PROJ1", "Project One")
        jira.state.projects["PROJ2"] = Project(10011, "PROJ2", "Project Two")
        jira.knobs.latency = latency
        print(json.dumps(stand_ins.env()), flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "seed":
                for n in range(int(argument)):
                    jira.add_issue("PROJ1", f"candidate {n}", issue_type="Story",
                                   status="Ready for Deployment")  # fmt: skip
                print(json.dumps(int(argument)), flush=True)
            elif command == "count":
                kinds = collections.Counter(
                    f"{r.service} {r.path.split('?')[0].rsplit('/', 1)[-1]}"
                    for r in stand_ins.received
                )
                print(json.dumps(kinds), flush=True)


class Server:
    def __init__(self, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.env: dict[str, str] = self._ask(None)

    def _ask(self, command: str | None) -> dict[str, str]:
        assert self.process.stdin and self.process.stdout
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        return answer if isinstance(answer, dict) else {}

    def seed(self, count: int) -> None:
        self._ask(f"seed {count}")

    def count(self) -> collections.Counter[str]:
        return collections.Counter({k: int(v) for k, v in self._ask("count").items()})

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def poll(server: Server, config: Path, concurrency: int) -> tuple[float, collections.Counter[str]]:
    from cibridge.standins import GITHUB_API_TOKEN

    argv = [sys.executable, "-m", "cibridge", "--config", str(SEED), "--config", str(config)]
    argv += ["trigger", "--poll", "--dispatch", "--poll-filter", "project = PROJ1"]
    argv += ["--concurrency", str(concurrency)]
    env = {**os.environ, **server.env, "GITHUB_TOKEN": GITHUB_API_TOKEN}
    env["CIBRIDGE_HTTP_RETRIES"] = "0"
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI_JOB_ID"):
        env.pop(name, None)
    before = server.count()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cibridge trigger failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, server.count() - before


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency)
        return 0
    server = Server(args.latency)
    try:
        server.seed(args.issues)
        with tempfile.TemporaryDirectory() as scratch:
            config = Path(scratch) / "pipelines.yml"
            config.write_text(PIPELINES)
            runs = [("first poll", *poll(server, config, args.concurrency))]
            runs.append(("second poll", *poll(server, config, args.concurrency)))
    finally:
        server.close()
    print(f"{args.issues} candidates, {args.latency * 1000:.0f} ms per Jira request, "
          f"concurrency {args.concurrency}")  # fmt: skip
    for name, wall, kinds in runs:
        listed = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        print(f"{name}: {wall:.2f} s, {sum(kinds.values())} requests ({listed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
