"""scripts/launch.py and the actions' run step: files in the workspace never replace our code.

An action step runs in the workspace, which a `pull_request_target` or `workflow_run`
workflow may have filled with a pull request's files. Each test plants modules there that
leave a mark when imported, runs the step's own command line from the action file on every
supported Python, and checks that cibridge's code ran and the planted code did not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.bundle_support import built_bundle
from tests.conftest import REPO

ACTIONS = sorted(p for p in REPO.glob("*action.yml")) + sorted(REPO.glob("*/action.yml"))
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
# Names a workspace could hold that the step imports: ours, our dependencies', the stdlib's.
PLANTED = ("cibridge", "yaml", "jinja2", "markupsafe", "requests", "shlex", "argparse", "json")


def _python(version: str) -> str:
    # pyenv's own copies first: its shims on PATH answer only for the selected version.
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = next(
        (str(p) for p in sorted(pyenv.glob(f"{version}.*/bin/python{version}"))),
        shutil.which(f"python{version}"),
    )
    assert found, f"Python {version} is needed to test the launcher on it; install it"
    return found


def _workspace(root: Path) -> tuple[Path, Path]:
    workspace, marks = root / "workspace", root / "marks"
    workspace.mkdir()
    marks.mkdir()
    for name in PLANTED:
        code = f"open({str(marks / name)!r}, 'w').close()\nraise SystemExit('planted {name} ran')\n"
        if name in ("cibridge", "yaml", "jinja2", "markupsafe", "requests"):
            (workspace / name).mkdir()
            (workspace / name / "__init__.py").write_text(code)
        else:
            (workspace / f"{name}.py").write_text(code)
    return workspace, marks


def _run_step(action: Path) -> dict[str, object]:
    steps = yaml.safe_load(action.read_text())["runs"]["steps"]
    [step] = [s for s in steps if s.get("id") == "run"]
    return step


def _run(
    command: str, action: Path, workspace: Path, python: str
) -> subprocess.CompletedProcess[str]:
    step = _run_step(action)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CIBRIDGE", "PYTHON", "GITHUB_", "GITLAB", "CI_"))
    }
    declared = step["env"]
    assert isinstance(declared, dict)
    env.update(
        {
            "GITHUB_ACTION_PATH": str(action.parent),
            "CIBRIDGE_PY": python,
            "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{built_bundle()}",
            "CIBRIDGE_COMMAND": command,
            "CIBRIDGE_CACHE_DIR": str(workspace.parent / "cache"),
            "CIBRIDGE_CONFIG": "",
        }
    )
    env.update({k: str(v) for k, v in declared.items() if "${{" not in str(v)})
    run = step["run"]
    assert isinstance(run, str)
    return subprocess.run(
        ["bash", "-c", run], cwd=workspace, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("version", PYTHONS)
@pytest.mark.parametrize(
    "action", ACTIONS, ids=lambda p: p.parent.name if p.parent != REPO else "root"
)
def test_planted_modules_in_the_workspace_never_run(
    action: Path, version: str, tmp_path: Path
) -> None:
    workspace, marks = _workspace(tmp_path)
    command = {
        "gate": "gate",
        "jira": "jira",
        "boards": "boards",
        "notify": "notify",
        "trigger": "trigger",
    }.get(action.parent.name, "config")
    done = _run(command, action, workspace, _python(version))
    assert sorted(p.name for p in marks.iterdir()) == [], done.stdout + done.stderr
    assert not re.search(r"planted \w+ ran", done.stdout + done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    # Our code ran and answered: an outcome from DESIGN.md's exit codes, with words.
    assert done.returncode in (0, 1, 2) and (done.stdout + done.stderr).strip(), done.stderr


def test_the_planted_workspace_does_replace_code_run_with_python_m(tmp_path: Path) -> None:
    """The attack the launcher stops: the same workspace, the old `python -m` command line."""
    workspace, marks = _workspace(tmp_path)
    done = subprocess.run(
        [_python("3.10"), "-m", "cibridge.cli.action"], cwd=workspace, capture_output=True,
        text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{built_bundle()}"},
    )  # fmt: skip
    assert "planted cibridge ran" in done.stderr
    assert (marks / "cibridge").exists()


def test_every_action_starts_python_through_the_launcher() -> None:
    for action in ACTIONS:
        step = _run_step(action)
        assert "/scripts/launch.py" in str(step["run"]) and " -m " not in str(step["run"]), action
        assert isinstance(step["env"], dict) and step["env"].get("PYTHONSAFEPATH") == "1", action
