"""The release artifacts: wheel and sdist as the release workflow builds them, the version
they carry, and a wheel that works from a fresh venv away from the source tree."""

from __future__ import annotations

import html
import os
import re
import site
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from cibridge import __version__
from tests.conftest import REPO

BUILD_TIMEOUT = 300
sys.path.insert(0, str(REPO / "scripts"))
import release_check  # noqa: E402 - a script, imported from its folder


@cache
def _dist(out: str) -> tuple[Path, Path]:
    """``python -m build`` as the release workflow runs it: sdist first, then the wheel
    built from that sdist (so the wheel needs nothing outside what the sdist ships). Offline:
    hatchling comes from this environment instead of a fresh isolated one."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", out, str(REPO)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = Path(out).glob("cibridge-*.whl")
    [sdist] = Path(out).glob("cibridge-*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    yield _dist(str(tmp_path_factory.mktemp("dist")))


def test_twine_accepts_both(dist: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_the_wheel_carries_templates_schema_and_the_version(dist: tuple[Path, Path]) -> None:
    wheel, _ = dist
    assert wheel.name == f"cibridge-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"cibridge-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"cibridge-{__version__}.dist-info/entry_points.txt")
    shipped = {p.relative_to(REPO / "src").as_posix() for p in (REPO / "src").rglob("*.j2")}
    assert shipped and shipped <= set(names)
    assert "cibridge/config/cibridge.schema.json" in names
    assert "cibridge/config/on-demand-stats.txt" in names  # the canary comparison's SciPy
    assert re.search(r"^Requires-Dist: scipy<2,>=1\.11; extra == 'stats'$", metadata, re.M)
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    assert f"Version: {__version__}\n" in metadata
    assert re.search(r"^Requires-Dist: jsonschema>=4\.17\.3$", metadata, re.M)
    assert b"cibridge-step = cibridge.cli.action:main_entry" in entry_points


def test_the_sdist_holds_the_sources_and_nothing_stray(dist: tuple[Path, Path]) -> None:
    _, sdist = dist
    top = f"cibridge-{__version__}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "requirements.lock"):
        assert f"{top}/{needed}" in names
    for needed in ("CONTRIBUTING.md", "mkdocs.yml", "docs/index.md", "docs/reference/cli.md"):
        assert f"{top}/{needed}" in names
    assert f"{top}/src/cibridge/config/cibridge.schema.json" in names
    assert f"{top}/templates/notify.yml" in names
    stray = [n for n in names if re.search(r"/(\.venv|\.hypothesis|\.git)/|__pycache__", n)]
    assert stray == []


def test_the_wheel_runs_the_demo_from_a_fresh_venv(dist: tuple[Path, Path], tmp_path: Path) -> None:
    """Installed with no index, away from the source tree; the runtime dependencies come
    from this environment's site-packages (a .pth), never cibridge itself."""
    wheel, _ = dist
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(target) / "deps-from-test-env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-index", "--no-deps", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import cibridge; print(cibridge.__file__)"],
        capture_output=True, text=True, cwd=away, env=env, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(target), "cibridge must come from the wheel"
    version = subprocess.run(
        [str(venv / "bin" / "cibridge"), "--version"],
        capture_output=True, text=True, cwd=away, env=env, check=False,
    )  # fmt: skip
    assert version.stdout.strip() == f"cibridge {__version__}"
    demo = subprocess.run(
        [str(venv / "bin" / "cibridge"), "demo", "--sample"],
        capture_output=True, text=True, cwd=away, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "DingTalk" in demo.stdout and "Slack" in demo.stdout


# --- one version, everywhere it is pinned ---


def test_this_checkout_is_releasable_as_its_version() -> None:
    assert release_check.problems(f"v{__version__}") == []
    assert release_check.problems(__version__) == []  # the GitLab Catalog's tag
    pins = release_check.component_pins()
    assert set(pins) == {p.name for p in (REPO / "templates").glob("*.yml")}
    assert set(pins.values()) == {f"cibridge=={__version__}"}


def test_a_tag_that_is_not_the_version_is_refused() -> None:
    found = release_check.problems("v9.9.9")
    assert len(found) == 1 and "does not match __version__" in found[0]


def test_a_component_pinned_elsewhere_or_a_missing_changelog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src" / "cibridge").mkdir(parents=True)
    (tmp_path / "src" / "cibridge" / "__init__.py").write_text('__version__ = "2.0.0"\n')
    (tmp_path / "templates").mkdir()
    notify = (REPO / "templates" / "notify.yml").read_text()
    (tmp_path / "templates" / "notify.yml").write_text(notify)
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0]\n\nFirst.\n")
    found = release_check.problems("v2.0.0", tmp_path)
    assert any("CHANGELOG.md has no" in p and "2.0.0" in p for p in found)
    assert any(f"'cibridge=={__version__}', not 'cibridge==2.0.0'" in p for p in found)


def test_release_notes_are_the_changelog_section(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    output = tmp_path / "github_output"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "release_check.py"), "--tag", f"v{__version__}",
         "--notes", str(notes)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert notes.read_text().strip() == release_check.changelog_section(__version__)
    assert "### Added" in notes.read_text()
    major = __version__.split(".")[0]
    assert output.read_text().splitlines() == [
        f"version={__version__}",
        f"major=v{major}",
        f"gitlab-tag={__version__}",
    ]


# --- the release workflow runs what these tests run ---


def _workflow() -> dict[str, object]:
    loaded = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_release_workflow_runs_on_version_tags_with_least_privilege() -> None:
    workflow = _workflow()
    trigger = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert trigger == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    writers = {name for name, job in jobs.items() if "write" in str(job.get("permissions"))}
    assert writers == {"pypi", "release"}
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert "secrets." not in (REPO / ".github" / "workflows" / "release.yml").read_text()


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    text = (REPO / ".github" / "workflows" / "release.yml").read_text()
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert {u[0] for u in uses} >= {"pypa/gh-action-pypi-publish", "actions/checkout"}
    for action, ref, comment in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action} is not pinned to a commit"
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{action} has no version comment"


def test_release_workflow_build_steps_are_the_tested_ones() -> None:
    runs = "\n".join(
        str(step.get("run", ""))
        for job in _workflow()["jobs"].values()  # type: ignore[attr-defined]
        for step in job["steps"]
    )
    assert "scripts/release_check.py --tag" in runs
    assert "python -m build --outdir dist ." in runs
    assert "python -m twine check --strict dist/*" in runs
    assert "python scripts/build_bundle.py --out bundle" in runs
    assert "git add --force bundle" in runs
    assert "gh release create" in runs


def test_every_component_installs_the_same_way() -> None:
    """The install part is one block, the same in every component (uv or pip, the download
    cache, the pinned version unless the image has it): none can drift from the others."""
    blocks = {}
    for component in sorted((REPO / "templates").glob("*.yml")):
        text = component.read_text()
        start = text.index("      # install part")
        blocks[component.name] = text[start : text.index("\n      fi\n", start)]
        assert "key: cibridge-install" in text and "paths: [.cache/cibridge/]" in text
    assert len(set(blocks.values())) == 1, sorted(blocks)
    block = next(iter(blocks.values()))
    assert "uv pip install" in block and "-m pip install" in block
    assert '"$CIBRIDGE_PACKAGE"' in block  # one argument, never split or evaluated


MANUAL = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", MANUAL, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_pin_the_manual_shows_is_this_version(page: Path) -> None:
    """`@v1`, `@1.0.0`, `cibridge==1.0.0` in README.md and every page of docs/: what a reader
    copies must be what this version releases (actions/checkout@v4 and the like are other
    projects' pins; `<tag>`-style placeholders are not pins)."""
    text = html.unescape(page.read_text())
    major = f"v{__version__.split('.')[0]}"
    ours = re.findall(r"cibridge(?:/[a-z]+|\.git)?@([^\s`\"'<]+)", text)
    ours += re.findall(r"cibridge==([^\s`\"'<]+)", text)
    ours += re.findall(r"cibridge/[a-z]+@<sha> # (v[\d.]+)", text)
    # "X.Y.Z" is the release procedure's placeholder, not a pin.
    allowed = {major, __version__, f"v{__version__}", "X.Y.Z"}
    wrong = sorted({pin for pin in ours if pin not in allowed})
    assert wrong == [], f"{page.name} pins that are not {__version__}: {wrong}"


def test_the_front_page_and_the_install_page_show_pins() -> None:
    for page in (REPO / "README.md", REPO / "docs" / "install.md"):
        assert re.search(r"cibridge==\d", page.read_text()), f"{page.name} shows no pin"
