"""A release ref's `uses: ./notify` under act, on a runner with no cache and no package index.

The checkout carries bundle/ as the release workflow adds it; pip and uv point at a closed
loopback port and start from empty caches, and the runner's Python has nothing installed.
The step must still run cibridge, without building a venv. The time it takes is measured in
benchmarks/zero_install.py, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

from tests.bundle_support import (
    bare_python,
    built_bundle,
    offline_env,
    zero_install_workflow,
)
from tests.e2e.harness import free_port, run_act


def test_notify_from_the_bundle_installs_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "fresh-runner"
    offline = offline_env({}, cache, free_port())
    env = {
        **offline,
        "BUNDLE_DIR": str(built_bundle()),
        "CIBRIDGE_PYTHON_BIN": str(bare_python(tmp_path)),
        "CLOCK_DIR": str(tmp_path),
    }
    run = run_act(tmp_path, zero_install_workflow(), {"ref": "refs/heads/main"}, env=env)
    assert run.code == 0, run.output
    assert "Python environment bundled" in run.output
    assert "hooks.slack.com" in run.output  # the dry run printed its request
    assert "zeroinstall" not in run.output  # the webhook URL is a secret: redacted
    assert not list((cache / "cibridge").glob("venv-*"))
    assert not (cache / "uv").exists() or not any((cache / "uv").iterdir())
    assert int((tmp_path / "after-notify").read_text()) > int(
        (tmp_path / "before-notify").read_text()
    )
