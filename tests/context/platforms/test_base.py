"""What every platform shares (cibridge.context.platforms.base): a reader that goes away
is not a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_closed_stdout_is_not_a_crash(tmp_path: Path) -> None:
    """`cibridge render --list | head -1`: the reader goes away; no traceback, exit 0."""
    done = subprocess.run(  # noqa: S602 - the pipe is the point
        f"{sys.executable} -m cibridge render --list | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    pipe = subprocess.run(  # noqa: S602
        f"set -o pipefail; {sys.executable} -m cibridge demo --sample | head -3",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert pipe.returncode == 0, pipe.stderr
    assert "Traceback" not in pipe.stderr and "internal error" not in pipe.stderr
