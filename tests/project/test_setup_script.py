"""The dependency set-up every action step runs first: cold with uv or pip, then warm."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.harness import free_port

SETUP = REPO / "scripts" / "setup.sh"


def _setup(cache: Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(SETUP)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=cwd,
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


def _warm_cache(cache: Path) -> str:
    done = _setup(cache)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_world_writable_cache_is_not_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shared = _warm_cache(cache)
    cache.chmod(0o777)  # any job on the runner could have replaced the venv
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    done = _setup(cache, TMPDIR=str(private_tmp))
    assert done.returncode == 0, done.stderr
    python = done.stdout.strip()
    assert python != shared
    assert python.startswith(str(private_tmp))
    assert "Python environment cold" in done.stderr
    warning = next(line for line in done.stderr.splitlines() if "not reusing" in line)
    assert warning.startswith("cibridge: warning:")
    assert str(cache) in warning
    assert "writable by group or others" in warning
    private = Path(python).parents[2]
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    check = subprocess.run([python, "-c", "import yaml"], capture_output=True, check=False)
    assert check.returncode == 0


def test_unsafe_cache_warning_is_a_github_annotation(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o775)
    cache.chmod(0o775)
    output = tmp_path / "out"
    done = _setup(
        cache, GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output), RUNNER_TEMP=str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert any(
        line.startswith("::warning title=cibridge::not reusing the cached Python environment")
        for line in done.stderr.splitlines()
    ), done.stderr
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    # the run step gets the private folder as its cache, never the shared one
    assert lines["cache"] != str(cache)
    assert lines["cache"].startswith(str(tmp_path / "cibridge."))
    assert lines["python"].startswith(lines["cache"])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_venv_owned_by_another_user_is_not_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shared = _warm_cache(cache)
    os.chown(Path(shared).parents[1], 65534, 65534)
    done = _setup(cache, TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() != shared
    assert "owned by uid 65534" in done.stderr


def test_missing_cache_root_is_created_private(tmp_path: Path) -> None:
    cache = tmp_path / "new" / "cache"
    done = _setup(cache)
    assert done.returncode == 0, done.stderr
    assert "not reusing" not in done.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_warm_path_starts_python_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _warm_cache(cache)
    starts = tmp_path / "starts"
    counting = tmp_path / "python3"
    counting.write_text(f'#!/bin/sh\necho x >>"{starts}"\nexec "{sys.executable}" "$@"\n')
    counting.chmod(0o755)
    done = _setup(cache, CIBRIDGE_PYTHON_BIN=str(counting))
    assert done.returncode == 0, done.stderr
    assert "Python environment warm" in done.stderr
    assert starts.read_text().count("x") == 1


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_the_workspace_steers_neither_python_nor_the_installer(
    installer: str, tmp_path: Path
) -> None:
    """The step starts in the workspace: its `hashlib.py`, `venv/`, `pip/` and an index
    redirected by `uv.toml` or `pyproject.toml` (to a closed port, so obeying it would fail
    the install) change nothing, on the oldest supported Python, which has no -P."""
    workspace, marks = tmp_path / "workspace", tmp_path / "marks"
    workspace.mkdir()
    marks.mkdir()
    for name in ("hashlib", "venv", "pip", "ensurepip"):
        code = f"open({str(marks / name)!r}, 'w').close()\nraise SystemExit('planted {name}')\n"
        (workspace / f"{name}.py").write_text(code)
        (workspace / name).mkdir()
        (workspace / name / "__main__.py").write_text(code)
    index = f"http://127.0.0.1:{free_port()}/simple"
    (workspace / "uv.toml").write_text(f'index-url = "{index}"\nno-cache = true\n')
    (workspace / "pyproject.toml").write_text(f'[tool.uv]\nindex-url = "{index}"\n')
    python = next(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")).glob(
        "versions/3.10.*/bin/python3.10"), None)  # fmt: skip
    assert python, "Python 3.10 is needed to test setup.sh on it"
    done = _setup(
        tmp_path / "cache", cwd=workspace, CIBRIDGE_INSTALLER=installer,
        CIBRIDGE_PYTHON_BIN=str(python),
    )  # fmt: skip
    assert sorted(p.name for p in marks.iterdir()) == [], done.stderr
    assert done.returncode == 0, done.stderr
    assert "Python environment cold" in done.stderr


@pytest.mark.parametrize(
    "construct",
    [r"\bmv\s+-T\b", r"\bstat\s+-c\b", r"\breadlink\s+-f\b", r"\bmktemp(\s+-d)?\s*\)", r"sed\s+-i"],
)
def test_no_gnu_only_tools(construct: str) -> None:
    """macOS runs this with BSD tools and bash 3.2."""
    lines = SETUP.read_text().splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert not re.search(construct, code)


def test_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:  # a peer the suite needs: .ci/run installs it, never a skip
        pytest.fail("shellcheck is not installed (Debian package shellcheck; .ci/run installs it)")
    done = subprocess.run(
        [shellcheck, "--shell=bash", str(SETUP)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_a_cache_root_that_is_a_symbolic_link_is_not_reused(tmp_path: Path) -> None:
    """A link in a shared tool cache can point at this user's own folder today and at
    another's tomorrow: the link's owner decides where the interpreter runs from."""
    real = tmp_path / "real"
    _warm_cache(real)
    link = tmp_path / "link"
    link.symlink_to(real)
    done = _setup(link, TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "is a symbolic link" in done.stderr
    assert not done.stdout.strip().startswith(str(link))
