"""Whole-process timing shared by the benchmarks: interleaved runs, medians, ratios."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence


def time_commands(
    commands: Mapping[str, Sequence[str]],
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> dict[str, list[float]]:
    """Run every command ``runs`` times, interleaved so drift hits all of them alike."""
    full_env = {**os.environ, **(env or {})}
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # one warm-up each: page cache, .pyc files
        subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, check=True)
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, check=True)
            timings[name].append(time.perf_counter() - started)
    return timings


def report(timings: Mapping[str, list[float]], baseline: str) -> dict[str, float]:
    base = statistics.median(timings[baseline])
    ratios = {}
    width = max(len(name) for name in timings)
    for name, values in timings.items():
        median = statistics.median(values)
        ratios[name] = median / base
        print(f"{name:<{width}}  median {median * 1000:7.1f} ms  ratio {median / base:5.2f}")
    return ratios
