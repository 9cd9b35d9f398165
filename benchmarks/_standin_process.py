"""Loopback stand-ins in a process of their own, for the benchmarks that time a whole
`cibridge` process against them: the stand-ins' work then does not compete with cibridge's
for the interpreter lock, and their OpenAPI and ADF-schema checks are off (those measure
the stand-in, not cibridge; the ADF one alone costs ~175 ms of CPU per comment).

The benchmark script runs itself with ``--serve``; the parent sends one command a line and
reads one JSON line back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cibridge.demo.standins import StandIns

ROOT = Path(__file__).resolve().parents[1]
Handler = Callable[["StandIns", str], Any]


def serve(
    latency: float,
    handlers: Mapping[str, Handler],
    prepare: Callable[[StandIns], None] | None = None,
) -> None:
    """Start the stand-ins, print their environment, then answer ``COMMAND ARGUMENT`` lines
    with ``handlers[COMMAND]``'s JSON until the input ends. Every Jira request is
    ``latency`` seconds late."""
    from cibridge.demo.standins import StandIns, jira_of, server

    # As Jira answers: HTTP/1.1 with keep-alive, so a client that reuses its connections
    # is measured doing so, and a listen queue deep enough for every client connection
    # (the default 5 drops connects past it, each then retried by TCP a second later).
    server._Handler.protocol_version = "HTTP/1.1"
    server._Handler.disable_nagle_algorithm = True  # headers and body are two writes
    server._HTTPServer.request_queue_size = 128
    # No spec folder: the published-description checks cost more than the client measured.
    with StandIns() as stand_ins:
        jira_of(stand_ins).knobs.latency = latency
        if prepare is not None:
            prepare(stand_ins)
        print(json.dumps(stand_ins.env()), flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            print(json.dumps(handlers[command](stand_ins, argument)), flush=True)


class StandInProcess:
    def __init__(self, script: str, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, script, "--serve", "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        env = self.ask(None)
        assert isinstance(env, dict)
        self.env: dict[str, str] = env

    def ask(self, command: str | None) -> Any:
        assert self.process.stdin and self.process.stdout
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_cibridge(argv: Sequence[str], env: Mapping[str, str]) -> float:
    """Wall seconds of one whole `python -m cibridge ARGV` process, run as a local job (no
    CI platform variables); a failure ends the benchmark with its output."""
    full = {**os.environ, **env, "CIBRIDGE_HTTP_RETRIES": "0"}
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI_JOB_ID"):
        full.pop(name, None)
    command = [sys.executable, "-m", "cibridge", *argv]
    started = time.perf_counter()
    done = subprocess.run(command, env=full, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cibridge {argv[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed
