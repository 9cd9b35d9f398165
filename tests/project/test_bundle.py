"""scripts/build_bundle.py: the zero-install bundle, from the lock, hash-checked, pure Python."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.bundle_support import REPO, bare_python, built_bundle, offline_env, run_build
from tests.e2e.harness import free_port

ON_DEMAND = {"cryptography", "cffi", "pycparser"}


def _lock_pins() -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line[:1].isalnum() and "==" in line:
            name, version = line.split(" ")[0].split("==")
            pins.setdefault(name, set()).add(version)
    return pins


def _run_from_bundle(
    python: Path | str, bundle: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "cibridge", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**(env or os.environ), "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{bundle}"},
    )


def test_the_bundle_holds_every_locked_pure_dependency_and_nothing_compiled() -> None:
    bundle = built_bundle()
    manifest = json.loads((bundle / "bundle.json").read_text())
    pins = _lock_pins()
    bundled = {p["name"]: p["version"] for p in manifest["packages"]}
    assert set(bundled) == set(pins) - ON_DEMAND
    for name, version in bundled.items():
        assert {version} == pins[name], name
    lock = (REPO / "requirements.lock").read_bytes()
    assert manifest["lock_sha256"] == hashlib.sha256(lock).hexdigest()
    compiled = [p for p in bundle.rglob("*") if p.suffix in {".so", ".pyd", ".dylib", ".c"}]
    assert compiled == []
    on_demand = (bundle / "on-demand.txt").read_text()
    for name in ON_DEMAND:
        assert f"\n{name}==" in on_demand
    assert on_demand.count("--hash=sha256:") > 10


def test_cibridge_runs_from_the_bundle_alone(tmp_path: Path) -> None:
    """A Python with nothing installed runs the demo from src/ + bundle/; PyYAML and
    MarkupSafe run their pure-Python code."""
    python = bare_python(tmp_path)
    bundle = built_bundle()
    demo = _run_from_bundle(python, bundle, "demo", "--sample")
    assert demo.returncode == 0, demo.stderr
    assert "slack" in demo.stdout.lower()
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, yaml, markupsafe, jsonschema, cibridge.config.schema as s; "
            "print(yaml.__with_libyaml__, hasattr(markupsafe, '_speedups'), "
            "jsonschema.__file__.startswith(sys.argv[1]), s.yaml_loader().__name__)",
            str(bundle),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{bundle}"},
    )
    assert probe.stdout.split() == ["False", "False", "True", "SafeLoader"], probe.stderr


def test_config_errors_are_the_same_with_the_bundled_jsonschema(tmp_path: Path) -> None:
    config = tmp_path / ".cibridge.yml"
    config.write_text("notify:\n  locale: en\nintegratons: {}\n")
    done = _run_from_bundle(
        bare_python(tmp_path), built_bundle(), "--config", str(config), "config", "check"
    )
    assert done.returncode == 2
    assert ".cibridge.yml:3" in done.stderr and "integrations" in done.stderr


def test_fernet_installs_on_demand_then_is_reused(tmp_path: Path) -> None:
    python = bare_python(tmp_path)
    env = {**os.environ, "CIBRIDGE_CACHE_DIR": str(tmp_path / "cache")}
    first = _run_from_bundle(python, built_bundle(), "secret", "keygen", env=env)
    assert first.returncode == 0, first.stderr
    assert "installing cryptography on demand" in first.stderr
    assert len(first.stdout.strip()) == 44  # a Fernet key
    [installed] = (tmp_path / "cache").glob("binary-*")
    assert (installed / "cryptography").is_dir()
    again = _run_from_bundle(python, built_bundle(), "secret", "keygen", env=env)
    assert again.returncode == 0, again.stderr
    assert "installing" not in again.stderr


def test_a_planted_cryptography_in_a_shared_cache_is_never_imported(tmp_path: Path) -> None:
    """A cache folder others can write to may hold anything under the name this run would
    reuse: that copy is not imported, a private one is installed instead."""
    python = bare_python(tmp_path)
    cache, marks = tmp_path / "cache", tmp_path / "marks"
    first = _run_from_bundle(
        python, built_bundle(), "secret", "keygen",
        env={**os.environ, "CIBRIDGE_CACHE_DIR": str(cache)},
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    [installed] = cache.glob("binary-*")
    marks.mkdir()
    planted = installed / "cryptography" / "__init__.py"
    planted.unlink()  # a new file: uv hard-links what it installs to its own cache's copy
    planted.write_text(f"open({str(marks / 'planted')!r}, 'w').close()\n")
    cache.chmod(0o777)
    done = _run_from_bundle(
        python, built_bundle(), "secret", "keygen",
        env={**os.environ, "CIBRIDGE_CACHE_DIR": str(cache)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not (marks / "planted").exists(), done.stderr
    assert f"not reusing cryptography from {cache}: writable by group or others" in done.stderr
    assert len(done.stdout.strip()) == 44


def test_a_bundle_manifest_in_the_working_folder_is_not_the_bundle(tmp_path: Path) -> None:
    """`python -m` puts the working folder on sys.path: a bundle.json and on-demand.txt
    there must not choose what is installed."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "bundle.json").write_text("{}")
    (workspace / "on-demand.txt").write_text("not-cryptography==1.0 --hash=sha256:" + "0" * 64)
    done = subprocess.run(
        [str(bare_python(tmp_path)), "-m", "cibridge", "secret", "keygen"], cwd=workspace,
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "CIBRIDGE_CACHE_DIR": str(tmp_path / "cache"),
             "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{built_bundle()}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "not-cryptography" not in done.stderr


def test_fernet_on_demand_with_pip_as_on_a_hosted_runner(tmp_path: Path) -> None:
    """Hosted runners have pip but no uv: the same install goes through pip."""
    venv = tmp_path / "runner-python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {
        **os.environ,
        "CIBRIDGE_CACHE_DIR": str(tmp_path / "cache"),
        "CIBRIDGE_INSTALLER": "pip",
    }
    done = _run_from_bundle(venv / "bin" / "python", built_bundle(), "secret", "keygen", env=env)
    assert done.returncode == 0, done.stderr
    [installed] = (tmp_path / "cache").glob("binary-*")
    assert (installed / "cryptography").is_dir() and (installed / ".complete").is_file()


def test_fernet_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    env = offline_env(dict(os.environ), tmp_path, free_port())
    done = _run_from_bundle(bare_python(tmp_path), built_bundle(), "secret", "keygen", env=env)
    assert done.returncode == 2, done.stderr
    assert "could not be installed on demand" in done.stderr
    assert "PIP_INDEX_URL" in done.stderr  # the hint says what to fix


def test_outside_a_bundle_missing_cryptography_names_the_fix(tmp_path: Path) -> None:
    bundle = tmp_path / "not-a-bundle"
    bundle.mkdir()  # on the path, but no bundle.json: never install anything
    done = _run_from_bundle(bare_python(tmp_path), bundle, "secret", "keygen")
    assert done.returncode == 2
    assert "cryptography is not installed" in done.stderr
    assert "pip install cibridge" in done.stderr


# --- the script's refusals, offline: a tiny lock and a local folder of files ---


def _wheel(folder: Path, name: str, tag: str = "py3-none-any", extra: str = "") -> Path:
    path = folder / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "VALUE = 1\n")
        if extra:
            archive.writestr(f"{name}/{extra}", b"\x7fELF")
        info = f"{name}-1.0.dist-info"
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        archive.writestr(
            f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return path


def _sdist(folder: Path) -> Path:
    path = folder / "pyyaml-1.0.tar.gz"
    files = {
        "pyyaml-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 1.0\n",
        "pyyaml-1.0/setup.py": "raise SystemExit('never run')\n",
        "pyyaml-1.0/lib/yaml/__init__.py": "PURE = True\n",
        "pyyaml-1.0/lib/yaml/_yaml.pyx": "# compiled half, left out\n",
        "pyyaml-1.0/lib/_yaml/__init__.py": "",
    }
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            entry = tarfile.TarInfo(member)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return path


def _lock(tmp_path: Path, *files: tuple[str, Path]) -> Path:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# test lock\n"
        + "".join(
            f"{name}==1.0 \\\n    --hash=sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
            f"    # via cibridge\n"
            for name, path in files
        )
    )
    return lock


def _build(tmp_path: Path, lock: Path, files: Path) -> subprocess.CompletedProcess[str]:
    out = str(tmp_path / "out")
    return run_build("--lock", str(lock), "--out", out, "--no-index", "--find-links", str(files))


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


def test_pure_wheels_and_sdist_modules_are_unpacked(tmp_path: Path, files: Path) -> None:
    lock = _lock(tmp_path, ("tinypure", _wheel(files, "tinypure")), ("pyyaml", _sdist(files)))
    done = _build(tmp_path, lock, files)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert (out / "tinypure" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (out / "yaml" / "__init__.py").read_text() == "PURE = True\n"
    assert (out / "_yaml" / "__init__.py").is_file()
    assert not (out / "yaml" / "_yaml.pyx").exists()
    assert (out / "pyyaml-1.0.dist-info" / "METADATA").is_file()
    manifest = json.loads((out / "bundle.json").read_text())
    assert [p["name"] for p in manifest["packages"]] == ["tinypure", "pyyaml"]
    assert not (tmp_path / "out.partial").exists()


def test_a_file_whose_hash_is_not_in_the_lock_is_refused(tmp_path: Path, files: Path) -> None:
    wheel = _wheel(files, "tinypure")
    lock = _lock(tmp_path, ("tinypure", wheel))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    done = _build(tmp_path, lock, files)
    assert done.returncode == 1
    assert "tinypure" in done.stderr and "hash" in done.stderr.lower()
    assert not (tmp_path / "out").exists()


def test_a_compiled_only_dependency_is_refused(tmp_path: Path, files: Path) -> None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}-none-any"
    lock = _lock(tmp_path, ("tinyc", _wheel(files, "tinyc", tag=tag)))
    done = _build(tmp_path, lock, files)
    assert done.returncode == 1
    assert "tinyc==1.0" in done.stderr
    assert "ON_DEMAND" in done.stderr


def test_a_pure_tagged_wheel_holding_a_binary_is_refused(tmp_path: Path, files: Path) -> None:
    lock = _lock(tmp_path, ("sneaky", _wheel(files, "sneaky", extra="_speedups.so")))
    done = _build(tmp_path, lock, files)
    assert done.returncode == 1
    assert "must be pure Python" in done.stderr and "_speedups.so" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_lock_entry_without_hashes_is_refused(tmp_path: Path, files: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("tinypure==1.0\n    # via cibridge\n")
    done = _build(tmp_path, lock, files)
    assert done.returncode == 1
    assert "tinypure has no --hash" in done.stderr


def test_main_carries_no_bundle() -> None:
    """The bundle is added on the release ref only."""
    tracked = subprocess.run(
        ["git", "ls-files", "bundle"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""


def test_bytecode_is_checked_by_hash_not_mtime(tmp_path: Path, files: Path) -> None:
    """A git checkout gives every file a new mtime; hash-checked bytecode stays valid."""
    lock = _lock(tmp_path, ("tinypure", _wheel(files, "tinypure")))
    out = str(tmp_path / "out")
    done = run_build(
        "--lock", str(lock), "--out", out, "--no-index", "--find-links", str(files),
        "--compile-with", sys.executable,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [pyc] = (tmp_path / "out" / "tinypure" / "__pycache__").glob("__init__.*.pyc")
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b11  # hash-based, checked against the source


def test_scipy_installs_on_demand_for_a_comparison_then_is_reused(tmp_path: Path) -> None:
    """SciPy is in no bundle and no dependency: the first canary comparison installs it
    (with NumPy) from the package's own hash-locked list, and later steps reuse it."""
    python = bare_python(tmp_path)
    env = {
        **os.environ,
        "CIBRIDGE_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{built_bundle()}",
    }
    # gh-9184's samples (SciPy's suite, checked there against R's wilcox.test): p 0.2544...
    probe = (
        "from cibridge.gate.comparison import u_test; "
        "print(round(u_test([0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46], "
        "[1.15, 0.88, 0.90, 0.74, 1.21])[1], 10))"
    )
    run = [str(python), "-c", probe]
    first = subprocess.run(run, capture_output=True, text=True, timeout=600, check=False, env=env)
    assert first.returncode == 0, first.stderr
    assert "installing scipy on demand for the canary comparison" in first.stderr
    assert first.stdout.strip() == "0.2544122544"
    [installed] = (tmp_path / "cache").glob("binary-*")
    assert (installed / "scipy").is_dir() and (installed / "numpy").is_dir()
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert again.returncode == 0 and "installing" not in again.stderr, again.stderr
