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

from cibridge.config.schema import load_file
from cibridge.core.errors import CibridgeError
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
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".cibridge.yml"
        path.write_text(example.text, encoding="utf-8")
        try:
            load_file(path)
        except CibridgeError as error:
            pytest.fail(f"{example.name}: not a valid .cibridge.yml: {error}")


@pytest.mark.parametrize("example", SHELL, ids=lambda e: e.name)
def test_every_cibridge_command_line_in_the_manual_parses(example: Example) -> None:
    from cibridge.cli.main import build_parser

    for argv in shell_commands(example.text):
        if not argv or argv[0].startswith("<"):
            continue
        try:
            build_parser().parse_args(argv)
        except SystemExit as stopped:
            assert stopped.code == 0, f"{example.name}: `cibridge {' '.join(argv)}` is refused"


def test_a_renamed_input_in_an_example_is_caught() -> None:
    """The check itself: an example passing an input the action lacks fails it."""
    text = "steps:\n  - uses: <owner>/cibridge/notify@v1\n    with: {too: slack}\n"
    with pytest.raises(AssertionError, match="has no input"):
        test_every_yaml_example_is_valid_and_names_what_exists(
            Example(REPO / "README.md", 1, "yaml", text)
        )


def test_only_labelled_blocks_are_left_unchecked() -> None:
    labelled = [e.name for e in ALL if e.label]
    assert len(labelled) <= 4, labelled  # each says on the page why it is not whole
