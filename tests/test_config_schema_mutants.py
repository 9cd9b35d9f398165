"""Behaviour of config_schema.py that mutation testing (mutmut 3) showed no test pinned down:
the exact node and depth budgets, keys checked after an alias or a merge key, and schema
errors on values of the wrong shape."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import yaml

from cibridge.config import schema as config_schema
from cibridge.config.loader import load
from cibridge.config.schema import MAX_CONFIG_BYTES, MAX_DEPTH, MAX_NODES
from cibridge.core.errors import CibridgeError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return path


def _error(path: Path) -> CibridgeError:
    with pytest.raises(CibridgeError) as caught:
        load([path], {})
    assert caught.value.exit_code == 2
    return caught.value


def _nodes(total: int) -> str:
    """``x: [...]`` whose tree, aliases expanded, has exactly ``total`` nodes (the mapping,
    its key and the list count too). Anchors of 11, 111, 1111 and 11111 nodes keep it short."""
    items: list[str] = []
    remaining = total - 3
    sizes = [1]
    for level in range(1, 5):
        inner = "0" if level == 1 else f"*a{level - 1}"
        items.append(f"&a{level} [{', '.join([inner] * 10)}]")
        sizes.append(1 + 10 * sizes[-1])
        remaining -= sizes[-1]
    for level in range(4, -1, -1):
        count, remaining = divmod(remaining, sizes[level])
        items += ["0" if level == 0 else f"*a{level}"] * count
    assert remaining == 0
    return f"x: [{', '.join(items)}]\n"


def test_exactly_the_node_budget_is_accepted(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, _nodes(MAX_NODES)))
    assert "unknown key 'x'" in error.message  # past the budget, stopped by the schema


def test_one_node_over_the_budget_is_refused(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, _nodes(MAX_NODES + 1)))
    assert f"expand to too many nodes (more than {MAX_NODES:,}" in error.message


def _nested(levels: int) -> str:
    # The top mapping is one level, each list one more: the innermost [] counts as one.
    lists = levels - 1
    return "x: " + "[" * lists + "]" * lists + "\n"


def test_exactly_the_depth_budget_is_accepted(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, _nested(MAX_DEPTH)))
    assert "unknown key 'x'" in error.message


def test_one_level_over_the_depth_budget_is_refused(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, _nested(MAX_DEPTH + 1)))
    assert f"nests deeper than {MAX_DEPTH} levels" in error.message


def test_a_key_given_twice_after_an_alias_is_refused(tmp_path: Path) -> None:
    text = """\
integrations:
  slack: &chat {channel: "#ci"}
  feishu: *chat
  teams:
    channel: a
    channel: b
"""
    error = _error(_write(tmp_path, text))
    assert error.message == f"{tmp_path / 'c.yml'}:6: integrations.teams.channel is given twice"


def test_a_key_given_twice_after_a_merge_key_is_refused(tmp_path: Path) -> None:
    text = """\
integrations:
  slack: &chat {channel: "#ci"}
  teams:
    <<: *chat
    channel: a
    channel: b
"""
    error = _error(_write(tmp_path, text))
    assert error.message == f"{tmp_path / 'c.yml'}:6: integrations.teams.channel is given twice"


def test_a_mapping_where_a_list_belongs_is_refused_even_when_empty(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, "notify:\n  to: {}\n"))
    assert error.message == f"{tmp_path / 'c.yml'}:2: notify.to must be array, not object"


def test_a_value_of_neither_allowed_type_names_both(tmp_path: Path) -> None:
    text = "integrations:\n  slack:\n    timeout: [30]\n"
    error = _error(_write(tmp_path, text))
    assert error.message == (
        f"{tmp_path / 'c.yml'}:3: integrations.slack.timeout must be string or number, not array"
    )


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    with path.open("wb") as handle:
        handle.truncate(64 * MAX_CONFIG_BYTES)  # sparse: no disk used
    tracemalloc.start()
    try:
        error = _error(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "is larger than 1 MiB" in error.message
    assert peak < 4 * MAX_CONFIG_BYTES


def test_without_libyaml_deep_nesting_is_refused_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyYAML built without libyaml composes recursively: 1,000 levels exhaust the stack.
    monkeypatch.setattr(config_schema, "yaml_loader", lambda: yaml.SafeLoader)
    error = _error(_write(tmp_path, "x: " + "[" * 1000 + "]" * 1000 + "\n"))
    assert error.message == f"{tmp_path / 'c.yml'}: the configuration nests too deeply"
    assert error.hint == "flatten the structure"
