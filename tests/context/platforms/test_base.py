"""What every platform shares (cibridge.context.platforms.base): a reader that goes away
is not a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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


@pytest.mark.parametrize("name", ["github", "gitlab", "azure-pipelines", "local"])
def test_every_platform_remembers_the_outputs_it_was_given(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event stream reads a command's result from what it set: each platform's own way
    of handing outputs over must not bypass that."""
    import io

    from cibridge.context.platforms import _REGISTRY, _factory

    monkeypatch.chdir(tmp_path)
    env = {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "CIBRIDGE_DOTENV": str(tmp_path / "cibridge.env"),
        "AGENT_TEMPDIRECTORY": str(tmp_path),
    }
    [target] = [t for n, _r, t in _REGISTRY if n == name]
    platform = _factory(target)(env, io.StringIO(), io.StringIO())
    platform.set_outputs({"result": "pass"})
    platform.set_outputs({"action": "none"})
    assert platform.outputs == {"result": "pass", "action": "none"}
