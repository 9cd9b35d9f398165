"""What a `uses:` step costs before cibridge starts: scripts/setup.sh, cold and warm.

    python benchmarks/action_setup.py [--runs 5]

Cold runs start from an empty cache directory (and, for uv, an empty uv cache), so every
dependency comes from the package registry; warm runs find the environment in place.
Reported against `python -c pass` in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETUP = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    results: dict[str, list[float]] = {
        "python -c pass": [],
        "cold (uv)": [],
        "cold (pip)": [],
        "warm": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        warm_cache = Path(scratch, "warm")
        subprocess.run(
            ["bash", str(SETUP)],
            env={**base_env, "CIBRIDGE_CACHE_DIR": str(warm_cache)},
            capture_output=True,
            check=True,
        )
        for run in range(args.runs):
            results["python -c pass"].append(timed([sys.executable, "-c", "pass"], base_env))
            for installer in ("uv", "pip"):
                env = {
                    **base_env,
                    "CIBRIDGE_CACHE_DIR": str(Path(scratch, f"{installer}-{run}")),
                    "CIBRIDGE_INSTALLER": installer,
                    "UV_CACHE_DIR": str(Path(scratch, f"uv-cache-{run}")),
                    "PIP_NO_CACHE_DIR": "1",
                }
                results[f"cold ({installer})"].append(timed(["bash", str(SETUP)], env))
            results["warm"].append(
                timed(["bash", str(SETUP)], {**base_env, "CIBRIDGE_CACHE_DIR": str(warm_cache)})
            )
    base = statistics.median(results["python -c pass"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<15} median {median * 1000:8.1f} ms  ratio {median / base:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
