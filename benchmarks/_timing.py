"""Whole-process timing shared by the benchmarks: interleaved runs, medians, ratios.

Each run's wall time is what a job waits; its CPU time (user + system of the process and
its children) is printed beside it, as that ratio moves less on a machine shared with
other work. ``PYTHONDONTWRITEBYTECODE`` is left out of the commands' environment, so the
warm-up run writes the .pyc files every later run reads, as on a runner.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence

# CPU seconds of every run that time_commands timed, by command name.
CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_commands(
    commands: Mapping[str, Sequence[str]],
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> dict[str, list[float]]:
    """Run every command ``runs`` times, interleaved so drift hits all of them alike."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # one warm-up each: page cache, .pyc files
        subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, check=True)
    for _ in range(runs):
        for name, command in commands.items():
            cpu = _children_cpu()
            started = time.perf_counter()
            subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, check=True)
            timings[name].append(time.perf_counter() - started)
            CPU.setdefault(name, []).append(_children_cpu() - cpu)
    return timings


def report(timings: Mapping[str, list[float]], baseline: str) -> dict[str, float]:
    """Print wall and CPU medians with their ratios to ``baseline``, and the ratio of the
    fastest runs (the least disturbed on a busy machine); return the median wall ratios."""
    base = statistics.median(timings[baseline])
    fastest = min(timings[baseline])
    cpu_base = statistics.median(CPU[baseline]) if CPU.get(baseline) else 0.0
    ratios = {}
    width = max(len(name) for name in timings)
    for name, values in timings.items():
        median = statistics.median(values)
        ratios[name] = median / base
        line = f"{name:<{width}}  median {median * 1000:7.1f} ms  ratio {median / base:5.2f}"
        line += f"  (fastest {min(values) / fastest:4.2f})"
        if CPU.get(name) and cpu_base:
            cpu = statistics.median(CPU[name])
            line += f"  |  cpu {cpu * 1000:7.1f} ms  ratio {cpu / cpu_base:5.2f}"
        print(line)
    return ratios
