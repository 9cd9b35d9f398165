"""What one `cibridge trigger --poll --dispatch` costs for 1,000 candidate issues (issue 9).

    python benchmarks/trigger_poll.py [--issues 1000] [--latency 0.0] [--concurrency 8]

The Jira and GitHub API stand-ins run in their own process (`_standin_process.py`).
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
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from _standin_process import ROOT, StandInProcess, run_cibridge, serve

if TYPE_CHECKING:
    from cibridge.demo.standins import StandIns

SEED = ROOT / "tests" / "fixtures" / "seed" / "deployment-triggers.yml"
PIPELINES = (
    "pipelines:\n  project1-deployment-pipeline:\n"
    "    github: {repository: acme/checkout, workflow: project1-deployment-pipeline.yml}\n"
)


def _projects(stand_ins: StandIns) -> None:
    from cibridge.demo.standins import jira_of
    from cibridge.demo.standins.jira_state import Project

    jira = jira_of(stand_ins)
    jira.state.projects["PROJ1"] = Project(10010, "PROJ1", "Project One")
    jira.state.projects["PROJ2"] = Project(10011, "PROJ2", "Project Two")


def _seed(stand_ins: StandIns, count: str) -> int:
    from cibridge.demo.standins import jira_of

    for n in range(int(count)):
        jira_of(stand_ins).add_issue(
            "PROJ1", f"candidate {n}", issue_type="Story", status="Ready for Deployment"
        )
    return int(count)


def _count(stand_ins: StandIns, _: str) -> dict[str, int]:
    """Requests by kind: service and the last path segment."""
    return collections.Counter(
        f"{r.service} {r.path.split('?')[0].rsplit('/', 1)[-1]}" for r in stand_ins.received
    )


def _counted(server: StandInProcess) -> collections.Counter[str]:
    return collections.Counter({k: int(v) for k, v in server.ask("count").items()})


def poll(
    server: StandInProcess, config: Path, concurrency: int
) -> tuple[float, collections.Counter[str]]:
    from cibridge.demo.standins import GITHUB_API_TOKEN

    argv = ["--config", str(SEED), "--config", str(config), "trigger", "--poll", "--dispatch"]
    argv += ["--poll-filter", "project = PROJ1", "--concurrency", str(concurrency)]
    before = _counted(server)
    elapsed = run_cibridge(argv, {**server.env, "GITHUB_TOKEN": GITHUB_API_TOKEN})
    return elapsed, _counted(server) - before


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency, {"seed": _seed, "count": _count}, prepare=_projects)
        return 0
    server = StandInProcess(__file__, args.latency)
    try:
        server.ask(f"seed {args.issues}")
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
