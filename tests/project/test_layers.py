"""The layers of src/cibridge (CONTRIBUTING.md), checked the way CI checks them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SRC = REPO / "src" / "cibridge"


def test_import_contracts_hold() -> None:
    """lint-imports with the contracts in pyproject.toml: layers, only the demo starts the
    stand-ins, the stand-ins share no code, no import cycles at any depth."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_the_contracts_can_break(tmp_path: Path) -> None:
    """The same check fails on a tree where a capability imports another."""
    tree = tmp_path / "src"
    subprocess.run(["cp", "-a", str(REPO / "src"), str(tree)], check=True)
    (tree / "cibridge" / "trigger" / "leak.py").write_text("from cibridge.jira import service\n")
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode != 0
    assert "cibridge.trigger is not allowed to import cibridge.jira" in done.stdout


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cibridge"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {alias.name}")
    return found


def test_no_module_imports_another_ones_private_names() -> None:
    """Found by review: transport.py took ``_fault`` and ``_new_session`` from its siblings."""
    strays = [hit for path in sorted(SRC.rglob("*.py")) for hit in _private_imports(path)]
    assert strays == []


def test_the_private_name_scan_sees_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from cibridge.http.faults import _x\n")
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        assert _private_imports(module) == ["m.py:1: _x"]
    finally:
        SRC = saved
