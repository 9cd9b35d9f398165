"""The dependency set-up every action step runs first: cold with uv or pip, then warm."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"


def _setup(cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(SETUP)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PATH": path, "CIBRIDGE_CACHE_DIR": str(cache), **env},
    )


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_cold_then_warm(installer: str, tmp_path: Path) -> None:
    cold = _setup(tmp_path, CIBRIDGE_INSTALLER=installer)
    assert cold.returncode == 0, cold.stderr
    assert "Python environment cold" in cold.stderr
    python = cold.stdout.strip()
    assert python.startswith(str(tmp_path))
    check = subprocess.run(
        [python, "-c", "import yaml, jinja2, cryptography.fernet, markupsafe; print('ok')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout.strip() == "ok", check.stderr
    warm = _setup(tmp_path, CIBRIDGE_INSTALLER=installer)
    assert warm.returncode == 0
    assert "Python environment warm" in warm.stderr
    assert warm.stdout.strip() == python


def test_github_outputs(tmp_path: Path) -> None:
    output = tmp_path / "out"
    done = _setup(tmp_path / "cache", GITHUB_OUTPUT=str(output))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert set(lines) == {"python", "src", "cache"}
    assert lines["src"] == str(SETUP.parents[1] / "src")


def test_missing_python_is_a_clear_error(tmp_path: Path) -> None:
    done = _setup(tmp_path, CIBRIDGE_PYTHON_BIN=str(tmp_path / "no-python"))
    assert done.returncode == 2
    assert "::error title=cibridge::" in done.stdout + done.stderr
