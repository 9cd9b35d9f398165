"""Start-up cost: `cibridge --version` and `cibridge render` against `python -c pass`.

python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import sys

from _timing import report, time_commands


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    python = sys.executable
    timings = time_commands(
        {
            "python -c pass": [python, "-c", "pass"],
            "cibridge --version": [python, "-m", "cibridge", "--version"],
            "cibridge render --sample": [
                python,
                "-m",
                "cibridge",
                "render",
                "--sample",
                "slack/build.yml.j2",
            ],
        },
        args.runs,
    )
    report(timings, "python -c pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
