"""What a `uses: ./notify` step adds before cibridge starts, under act, on a fresh runner.

    python benchmarks/zero_install.py [--runs 3]

Four runners, each a real act job (host mode) whose checkout is a release ref (bundle/ added
as the release workflow adds it):

- bundle: no cache at all and no package index reachable (pip and uv point at a closed
  loopback port); the runner's Python has nothing installed. Target: set-up <= 0.5 s.
- cold venv (uv) / cold venv (pip): CIBRIDGE_NO_BUNDLE=1, empty caches, the index reachable:
  what every job on a GitHub-hosted runner paid before the bundle.
- warm venv: the same cache again (only self-hosted runners keep it).

"set-up" is act's own timing of the action's first step (scripts/setup.sh), i.e. what runs
before cibridge starts; "uses: step" is the whole composite step (set-up, then a dry-run
notify), from the clocks the steps around it write.

Measured on the project's 2-core CI machine (shared), act 0.2.89 host mode, Python 3.11,
median of 5 (bundle with bytecode for that Python, as the release workflow writes it):

    runner            set-up (median)  uses: step (median)
    bundle                    35.0 ms             214.6 ms
    cold venv (uv)           990.0 ms            1359.2 ms
    cold venv (pip)         4564.9 ms            4811.2 ms
    warm venv                 36.2 ms             356.3 ms

Without bytecode in the bundle (a Python other than the release's): set-up 47.6 ms, the
whole step 517.8 ms (median of 3), the difference being cibridge's first-import compile.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from tests.bundle_support import (  # noqa: E402 - after the path set-up above
    bare_python,
    built_bundle,
    offline_env,
    zero_install_workflow,
)
from tests.e2e.harness import free_port, run_act  # noqa: E402

TARGET = 0.5
SETUP_STEP = re.compile(
    r'Success - Main bash "\$GITHUB_ACTION_PATH/\.\./scripts/setup\.sh" \[([^\]]+)\]'
)
_UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str) -> float:
    """Seconds in a Go duration string as act prints it ("37.8ms", "1m2.5s")."""
    parts = re.findall(r"([\d.]+)(ns|µs|us|ms|s|m|h)", text)
    if not parts:
        raise ValueError(f"not a duration: {text}")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def one_run(scratch: Path, mode: str, cache: Path) -> tuple[float, float]:
    work = Path(tempfile.mkdtemp(dir=scratch))
    base = {"BUNDLE_DIR": str(built_bundle(compiled=True)), "CLOCK_DIR": str(work)}
    if mode == "bundle":
        # a Python with nothing installed, not even pip: the bundle must need nothing
        env = {**offline_env({}, work / "empty", free_port()), **base}
        env["CIBRIDGE_PYTHON_BIN"] = str(bare_python(work))
    else:
        env = {**base, "CIBRIDGE_NO_BUNDLE": "1", "CIBRIDGE_CACHE_DIR": str(cache)}
        env["CIBRIDGE_PYTHON_BIN"] = sys.executable  # has pip, as a hosted runner's Python
        if mode.startswith("cold"):
            env |= {"UV_CACHE_DIR": str(work / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
        if mode == "cold venv (pip)":
            env["CIBRIDGE_INSTALLER"] = "pip"
    run = run_act(work, zero_install_workflow(), {"ref": "refs/heads/main"}, env=env)
    if run.code != 0:
        raise SystemExit(f"{mode}: act failed\n{run.output[-4000:]}")
    found = SETUP_STEP.search(run.output)
    if found is None:
        raise SystemExit(f"{mode}: act printed no timing for the set-up step\n{run.output[-4000:]}")
    before = int((work / "before-notify").read_text())
    after = int((work / "after-notify").read_text())
    return go_duration(found[1]), (after - before) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    modes = ["bundle", "cold venv (uv)", "cold venv (pip)", "warm venv"]
    results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        warm_cache = scratch / "warm-cache"
        one_run(scratch, "cold venv (uv)", warm_cache)  # fills the warm runner's cache
        for run in range(args.runs):
            for mode in modes:
                cache = warm_cache if mode == "warm venv" else scratch / f"cache-{run}-{len(mode)}"
                results[mode].append(one_run(scratch, mode, cache))
    print(f"{'runner':<16} {'set-up (median)':>16} {'uses: step (median)':>20}")
    for mode, values in results.items():
        setup = statistics.median(v[0] for v in values)
        step = statistics.median(v[1] for v in values)
        print(f"{mode:<16} {setup * 1000:13.1f} ms {step * 1000:17.1f} ms")
    bundle_setup = statistics.median(v[0] for v in results["bundle"])
    verdict = "meets" if bundle_setup <= TARGET else "MISSES"
    print(f"bundle set-up {bundle_setup * 1000:.1f} ms {verdict} the {TARGET * 1000:.0f} ms target")
    return 0 if bundle_setup <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
