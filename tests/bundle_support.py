"""One real zero-install bundle per test session, built by scripts/build_bundle.py from the lock.

Several test modules and the benchmark need it; building it once keeps the suite bounded
(pip fetches a dozen locked files: from the package index, or from PIP_FIND_LINKS).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.harness import COPY_COMMAND

BUILD = REPO / "scripts" / "build_bundle.py"
SETUP = REPO / "scripts" / "setup.sh"
BUILD_TIMEOUT = 600


def run_build(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), *args],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
        env=env,
    )


@cache
def built_bundle(compiled: bool = False) -> Path:
    """The bundle built from requirements.lock (shared, read-only for the tests); compiled:
    with bytecode for this interpreter, as the release workflow writes it for each Python."""
    scratch = Path(tempfile.mkdtemp(prefix="cibridge-bundle-"))
    atexit.register(shutil.rmtree, scratch, True)
    extra = ["--compile-with", sys.executable] if compiled else []
    done = run_build("--out", str(scratch / "bundle"), *extra)
    if done.returncode != 0:
        raise AssertionError(f"build_bundle.py failed:\n{done.stdout}{done.stderr}")
    return scratch / "bundle"


def release_checkout(into: Path) -> Path:
    """What a release ref holds, as far as a `uses:` step is concerned: the actions, scripts,
    src/ and lock of this checkout, plus bundle/."""
    root = into / "release"
    root.mkdir(parents=True)
    for name in ("scripts", "src", "templates"):
        shutil.copytree(
            REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for action in REPO.glob("**/action.yml"):
        if ".git" in action.parts or any(p.startswith(".") for p in action.relative_to(REPO).parts):
            continue
        target = root / action.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(action, target)
    shutil.copy2(REPO / "requirements.lock", root / "requirements.lock")
    shutil.copytree(built_bundle(), root / "bundle")
    return root


def bare_python(into: Path) -> Path:
    """A Python with nothing installed, as on a fresh runner: a venv without pip."""
    venv = into / "bare-python"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def offline_env(base: dict[str, str], cache: Path, closed_port: int) -> dict[str, str]:
    """No package index reachable and nothing cached: pip and uv both point at a closed
    loopback port, ignore this machine's config, and start from empty caches."""
    index = f"http://127.0.0.1:{closed_port}/simple"
    kept = {k: v for k, v in base.items() if not k.startswith(("PIP_", "UV_"))}
    return {
        **kept,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": index,
        "PIP_NO_CACHE_DIR": "1",
        "UV_NO_CONFIG": "1",
        "UV_INDEX_URL": index,
        "UV_DEFAULT_INDEX": index,
        "UV_CACHE_DIR": str(cache / "uv"),
        "CIBRIDGE_CACHE_DIR": str(cache / "cibridge"),
    }


def zero_install_workflow(extra_env: dict[str, str] | None = None) -> str:
    """A push job on a release ref: check out (with bundle/), then `uses: ./notify`.

    The step before and the step after write a nanosecond clock, so a benchmark can tell
    what the `uses:` step cost around cibridge itself."""
    env = "".join(f"      {key}: {value}\n" for key, value in (extra_env or {}).items())
    return f"""on: push
jobs:
  notify:
    runs-on: ubuntu-latest
{"    env:" + chr(10) + env if env else ""}    steps:
      - name: Check out the release ref
        run: |
          {COPY_COMMAND}
          rm -rf bundle && cp -a "$BUNDLE_DIR" bundle
          date +%s%N > "$CLOCK_DIR/before-notify"
      - uses: ./notify
        with:
          to: slack
          status: success
          dry-run: "true"
          slack-webhook-url: https://hooks.slack.com/services/T000/B000/zeroinstall
      - name: After
        run: date +%s%N > "$CLOCK_DIR/after-notify"
"""
