"""scripts/setup.sh on a release ref: the bundle is used as it is, nothing is installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.bundle_support import bare_python, offline_env, release_checkout
from tests.e2e.harness import free_port


def _setup(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_release_ref_installs_nothing_with_no_index_and_no_cache(tmp_path: Path) -> None:
    root = release_checkout(tmp_path)
    python = bare_python(tmp_path)
    output = tmp_path / "github_output"
    env = offline_env(dict(os.environ), tmp_path / "empty", free_port())
    env |= {"CIBRIDGE_PYTHON_BIN": str(python), "GITHUB_OUTPUT": str(output)}
    done = _setup(root, env)
    assert done.returncode == 0, done.stderr
    assert "Python environment bundled" in done.stderr
    outputs = _outputs(output)
    assert outputs["python"] == str(python)
    assert outputs["src"] == f"{root / 'src'}{os.pathsep}{root / 'bundle'}"
    cache = Path(outputs["cache"])
    assert not list(cache.glob("venv-*")), "a release ref builds no venv"
    # the action's run step, as action.yml runs it: that interpreter, that PYTHONPATH
    run = subprocess.run(
        [outputs["python"], "-m", "cibridge.cli.action"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={
            **env,
            "PYTHONPATH": outputs["src"],
            "CIBRIDGE_CACHE_DIR": outputs["cache"],
            "CIBRIDGE_COMMAND": "render",
            "CIBRIDGE_ARGS": "--sample slack/build.yml.j2",
        },
    )
    assert run.returncode == 0, run.stderr
    assert '"blocks"' in run.stdout


def test_no_bundle_switch_falls_back_to_the_cached_venv(tmp_path: Path) -> None:
    root = release_checkout(tmp_path)
    output = tmp_path / "github_output"
    env = {
        **os.environ,
        "CIBRIDGE_CACHE_DIR": str(tmp_path / "cache"),
        "CIBRIDGE_NO_BUNDLE": "1",
        "GITHUB_OUTPUT": str(output),
    }
    done = _setup(root, env)
    assert done.returncode == 0, done.stderr
    assert "Python environment cold" in done.stderr
    outputs = _outputs(output)
    assert outputs["src"] == str(root / "src")
    assert outputs["python"].startswith(str(tmp_path / "cache"))
