"""The project's own .gitlab-ci.yml under gitlab-ci-local: the components of this commit,
included as a user includes them (installing this checkout, with the download cache), the
package build, and on a version tag the checks and the CI/CD Catalog release job."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from cibridge import __version__
from tests.conftest import REPO, git
from tests.e2e.harness import _path_env, require, run_gitlab_ci_local

PIPELINE_TIMEOUT = 600
PROJECT_FILES = (
    ".gitlab-ci.yml",
    "pyproject.toml",
    "README.md",
    "CONTRIBUTING.md",
    "docs",
    "mkdocs.yml",
    "CHANGELOG.md",
    "requirements.lock",
    "src",
    "templates",
    "scripts",
)


def _project(tmp_path: Path) -> Path:
    """This checkout as a GitLab project acme/cibridge (the remote decides the path that
    `$CI_PROJECT_PATH` components resolve against)."""
    project = tmp_path / "cibridge"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy2(source, project / name)
    git(project, "init", "-q", "-b", "main")
    git(project, "remote", "add", "origin", "git@gitlab.example.com:acme/cibridge.git")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "release candidate")
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return project


def _gitlab_ci_local(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    tool = require("gitlab-ci-local")
    require("rsync")
    return subprocess.run(
        [tool, "--force-shell-executor", "--no-color", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=PIPELINE_TIMEOUT,
        env=_path_env(),
        check=False,
    )


def test_the_pipeline_tests_the_components_and_builds_the_package(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _gitlab_ci_local(project)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    for job in ("component-render", "component-notify-success", "rendered-output", "package"):
        assert f"PASS  {job}" in output, output
    assert "component-notify-failure" not in output.split("PASS", 1)[1]
    assert "catalog-release" not in output  # only on a version tag
    assert "rendered: ✅ Build · catalog succeeded" in output
    assert "Slack: dry run: not sent" in output and "dryrunonly" not in output
    assert f"Checking dist/cibridge-{__version__}-py3-none-any.whl: " in output
    # downloads went to the folder the components declare as their cache (uv or pip)
    cache = project / ".cache" / "cibridge"
    assert [p.name for p in cache.iterdir()] in (["uv"], ["pip"]), "no download cache kept"
    assert any((cache / "uv").iterdir() if (cache / "uv").exists() else (cache / "pip").iterdir())


def test_a_version_tag_checks_and_releases_to_the_catalog(tmp_path: Path) -> None:
    project = _project(tmp_path)
    tag = f"CI_COMMIT_TAG={__version__}"
    run = _gitlab_ci_local(project, "--variable", tag, "release-check", "catalog-release")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert f"release {__version__}: tag, CHANGELOG and component pins agree" in output
    assert "PASS  catalog-release" in output
    notes = (project / "release-notes.md").read_text()
    assert "### Added" in notes


def test_a_tag_that_is_not_the_version_stops_the_release(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _gitlab_ci_local(project, "--variable", "CI_COMMIT_TAG=9.9.9", "release-check")
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "tag 9.9.9 does not match __version__" in output


def test_the_catalog_release_uses_the_release_keyword_on_semver_tags_only() -> None:
    pipeline = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text())
    job = pipeline["catalog-release"]
    assert job["release"]["tag_name"] == "$CI_COMMIT_TAG"
    assert job["rules"] == [{"if": r"$CI_COMMIT_TAG =~ /^\d+\.\d+\.\d+$/"}]
    assert {"component", "inputs"} <= set(pipeline["include"][0])


def test_a_component_installs_a_wheel_given_as_package(tmp_path: Path) -> None:
    """Self-managed GitLab without PyPI: `package` names a wheel (here a file; a URL works
    the same), installed into a fresh venv before the job's step runs."""
    from tests.project.test_distribution import _dist

    wheel, _ = _dist(str(tmp_path / "dist"))
    pipeline = f"""stages: [test]
include:
  - local: templates/render.yml
    inputs:
      template: slack/build.yml.j2
      args: --sample
      output: rendered.json
      package: {wheel}
"""
    run = run_gitlab_ci_local(tmp_path, pipeline)
    assert run.code == 0, run.output
    assert f"cibridge: installed {wheel} into " in run.output
    assert "PASS  cibridge-render" in run.output
    assert (run.workdir / "rendered.json").read_text().startswith("{")


def _install_part(template: Path) -> str:
    text = template.read_text()
    start = text.index("      # install part")
    part = text[start : text.index("\n      fi\n", start) + len("\n      fi\n")]
    return "\n".join(line[6:] for line in part.splitlines())


def _pins(lock: str) -> dict[str, set[str]]:
    """name==version -> its hashes, from a lock in pip's requirements format."""
    joined = re.sub(r"\s*\\\n\s*", " ", lock)
    pins = {}
    for line in joined.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            pins[line.split()[0]] = set(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
    return pins


def test_every_component_carries_the_lock_it_installs_from(tmp_path: Path) -> None:
    """The lock each template writes is requirements.lock: every pin, every hash."""
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lock_components.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = _pins((REPO / "requirements.lock").read_text())
    assert len(expected) > 10 and all(expected.values())
    for template in sorted((REPO / "templates").glob("*.yml")):
        part = _install_part(template)
        writes = part[part.index("# >>> requirements.lock") : part.index("# <<< requirements.lock")]
        lock = tmp_path / f"{template.stem}.lock"
        subprocess.run(["bash", "-c", writes], env={"lock": str(lock)}, check=True)
        assert _pins(lock.read_text()) == expected, template.name


def test_a_dependency_whose_hash_is_not_locked_is_refused(tmp_path: Path) -> None:
    """A download cache or index answering with another file than the lock names: the
    install stops (exit 2), nothing runs."""
    from tests.project.test_distribution import _dist

    wheel, _ = _dist(str(tmp_path / "dist"))
    part = _install_part(REPO / "templates" / "notify.yml")
    markupsafe = next(line for line in part.splitlines() if "'markupsafe==" in line)
    tampered = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, markupsafe)
    script = part.replace(markupsafe, tampered)
    env = {**_path_env(), "CIBRIDGE_PACKAGE": str(wheel), "HOME": str(tmp_path)}
    env["PATH"] = env["PATH"].replace(str(Path(sys.executable).parent) + os.pathsep, "")
    project = tmp_path / "project"
    project.mkdir()
    done = subprocess.run(
        ["bash", "-c", script + "\ncibridge --version\n"], cwd=project, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "could not install" in done.stderr
    assert "hash" in done.stderr.lower()


def test_a_project_folder_named_like_the_package_is_not_installed(tmp_path: Path) -> None:
    """`cibridge==1.0.0/` committed to the project is a folder, not the requirement: the
    install runs elsewhere and takes a path only when written as one (./, ../)."""
    part = _install_part(REPO / "templates" / "notify.yml")
    resolve = part[
        part.index('package="$CIBRIDGE_PACKAGE"') : part.index("# >>> requirements.lock")
    ]
    project = tmp_path / "project"
    (project / f"cibridge=={__version__}").mkdir(parents=True)
    (project / "dist").mkdir()
    for given, expected in (
        (f"cibridge=={__version__}", f"cibridge=={__version__}"),
        ("./dist/cibridge.whl", f"{project}/./dist/cibridge.whl"),
        ("https://example.com/cibridge.whl", "https://example.com/cibridge.whl"),
    ):
        done = subprocess.run(
            ["bash", "-c", resolve + 'printf "%s" "$package"'], cwd=project,
            env={"CIBRIDGE_PACKAGE": given, "PATH": os.environ["PATH"]},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout == expected
    assert (
        '--no-cache-dir --no-deps "$package"' in part and '--no-cache --no-deps "$package"' in part
    )
