"""Every fenced example in README.md and docs/ refers only to what exists.

A workflow's `uses:` of our actions passes only inputs the action declares; a pipeline's
`component:` of ours passes only inputs the component declares; a `.cibridge.yml`
validates against the schema; a `cibridge …` command line parses with the CLI's own
parser. Examples are read as they are pasted (tests/doc_examples.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.doc_examples import CONFIG_KEYS, Example, examples, shell_commands

ALL = examples()
YAML = [e for e in ALL if e.language in ("yaml", "yml") and not e.label]
SHELL = [e for e in ALL if e.language in ("sh", "bash", "shell", "console")]
_OUR_ACTION = re.compile(r"^(?:<owner>|[\w.-]+)/cibridge(?:/(\w+))?@|^\./(\w+)?$")
_OUR_COMPONENT = re.compile(r"/cibridge/(\w+)@")


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def _action_inputs(name: str) -> set[str]:
    path = REPO / name / "action.yml" if name else REPO / "action.yml"
    return set(yaml.safe_load(path.read_text())["inputs"])


def _component_inputs(name: str) -> set[str]:
    spec = next(yaml.safe_load_all((REPO / "templates" / f"{name}.yml").read_text()))
    return set(spec["spec"]["inputs"])


def _loaded(example: Example) -> Any:
    try:
        return yaml.safe_load(example.text)
    except yaml.YAMLError as error:
        pytest.fail(f"{example.name}: the example is not YAML: {error}")


def test_the_manual_has_examples_of_every_kind() -> None:
    uses = [e for e in YAML if "uses:" in e.text and "cibridge" in e.text]
    components = [e for e in YAML if "component:" in e.text]
    configs = [e for e in YAML if isinstance(_loaded(e), dict) and set(_loaded(e)) & CONFIG_KEYS]
    assert len(uses) >= 5 and len(components) >= 5 and len(configs) >= 5
    assert sum(len(shell_commands(e.text)) for e in SHELL) >= 8


@pytest.mark.parametrize("example", YAML, ids=lambda e: e.name)
def test_every_yaml_example_is_valid_and_names_what_exists(example: Example) -> None:
    loaded = _loaded(example)
    for node in _walk(loaded):
        uses = node.get("uses")
        found = _OUR_ACTION.match(uses) if isinstance(uses, str) else None
        if found:
            name = found.group(1) or found.group(2) or ""
            unknown = set(node.get("with") or {}) - _action_inputs(name)
            assert not unknown, f"{example.name}: {uses} has no input {sorted(unknown)}"
        component = node.get("component")
        found = _OUR_COMPONENT.search(component) if isinstance(component, str) else None
        if found:
            unknown = set(node.get("inputs") or {}) - _component_inputs(found.group(1))
            assert not unknown, f"{example.name}: {component} has no input {sorted(unknown)}"
    if isinstance(loaded, dict) and set(loaded) & CONFIG_KEYS and set(loaded) <= CONFIG_KEYS:
        _check_config(example)


def _check_config(example: Example) -> None:
    """``cibridge config check`` on the example as the reader's .cibridge.yml: every
    validation the commands run, not only the schema."""
    import tempfile

    from tests.conftest import run_process

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".cibridge.yml"
        path.write_text(example.text, encoding="utf-8")
        done = run_process("--config", str(path), "config", "check", cwd=Path(folder))
    assert done.code == 0, f"{example.name}: `cibridge config check` refuses it:\n{done.all}"
