"""Hostile or broken config files are refused with exit 2, never a hang or a traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from cibridge.config.loader import load
from cibridge.config.schema import MAX_CONFIG_BYTES, MAX_DEPTH, MAX_NODES
from cibridge.core.errors import CibridgeError


def _refused(path: Path) -> CibridgeError:
    with pytest.raises(CibridgeError) as caught:
        load([path], {})
    assert caught.value.exit_code == 2
    assert caught.value.hint
    return caught.value


def _write(tmp_path: Path, text: str, name: str = "c.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _billion_laughs(levels: int = 9, width: int = 10) -> str:
    """The issue's shape: each level is a list of ``width`` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def _limit_memory() -> None:
    # 1 GiB of address space: the unbounded walk needed 1.8 GB at 7 levels.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_alias_bomb_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    bomb = _write(tmp_path, _billion_laughs())
    assert bomb.stat().st_size < 700
    done = subprocess.run(
        [sys.executable, "-m", "cibridge", "--config", str(bomb), "config", "check"],
        capture_output=True,
        text=True,
        timeout=10,
        env={key: value for key, value in os.environ.items() if not key.startswith("CIBRIDGE")},
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{bomb}: the YAML aliases expand to too many nodes" in done.stderr
    assert "Traceback" not in done.stderr


def test_alias_bomb_in_process_names_the_budget(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, _billion_laughs()))
    assert f"more than {MAX_NODES:,}" in error.message


def test_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for level in range(1, 9):
        merged = ", ".join([f"*m{level - 1}"] * 10)
        lines.append(f"m{level}: &m{level} {{<<: [{merged}], c{level}: 1}}")
    error = _refused(_write(tmp_path, "\n".join(lines) + "\n"))
    assert "expand to too many nodes" in error.message


def test_just_under_the_budget_is_not_refused_for_size(tmp_path: Path) -> None:
    # 4 levels of 10 are ~11,000 nodes: refused by the schema (unknown keys), not the budget.
    error = _refused(_write(tmp_path, _billion_laughs(levels=4)))
    assert "unknown key 'a0'" in error.message
    assert "too many nodes" not in error.message


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  to: &x [slack, *x]\n"))
    assert f"{tmp_path / 'c.yml'}:2: an alias refers to a node that contains it" in error.message


def test_nesting_is_capped(tmp_path: Path) -> None:
    deep = "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    error = _refused(_write(tmp_path, deep))
    assert f"nests deeper than {MAX_DEPTH} levels" in error.message


def test_ordinary_merge_keys_work_with_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "integration_configs:\n"
        "  communication:\n"
        "    slack: &chat\n"
        "      enabled: true\n"
        "      webhook_url_ref: shared-hook\n"
        "    dingtalk:\n"
        "      <<: *chat\n"
        "      enabled: false\n"
        "      secret_ref: ding-secret\n",
    )
    config = load([path], {})
    chat = ("integration_configs", "communication")
    assert config.raw(*chat, "dingtalk") == {
        "enabled": False,
        "webhook_url_ref": "shared-hook",
        "secret_ref": "ding-secret",
    }
    assert config.raw(*chat, "slack", "enabled") is True
    assert config.where(*chat, "dingtalk", "enabled") == f"{path}:8"
    assert config.where(*chat, "dingtalk", "webhook_url_ref") == f"{path}:5"


def test_unknown_key_behind_a_merge_names_the_anchor_line(tmp_path: Path) -> None:
    error = _refused(
        _write(
            tmp_path,
            "integration_configs:\n"
            "  communication:\n"
            "    slack: &chat\n"
            "      enabled: true\n"
            "      channle: '#x'\n"
            "    dingtalk:\n"
            "      <<: *chat\n",
        )
    )
    assert ":5: unknown key 'integration_configs.communication.slack.channle'" in error.message
    assert ":5: unknown key 'integration_configs.communication.dingtalk.channle'" in error.message


def test_a_later_file_does_not_change_an_alias_elsewhere(tmp_path: Path) -> None:
    first = _write(
        tmp_path,
        "integration_configs:\n  communication:\n"
        "    slack: &chat {enabled: true}\n    dingtalk: *chat\n",
        "a.yml",
    )
    second = _write(
        tmp_path, "integration_configs:\n  communication:\n    slack: {enabled: false}\n", "b.yml"
    )
    config = load([first, second], {})
    assert config.raw("integration_configs", "communication", "slack", "enabled") is False
    assert config.raw("integration_configs", "communication", "dingtalk", "enabled") is True


def test_size_limit_boundary(tmp_path: Path) -> None:
    exactly = tmp_path / "exact.yml"
    exactly.write_bytes(b"#" + b"x" * (MAX_CONFIG_BYTES - 2) + b"\n")
    assert exactly.stat().st_size == MAX_CONFIG_BYTES
    assert load([exactly], {}).files == [str(exactly)]
    over = tmp_path / "over.yml"
    over.write_bytes(b"#" + b"x" * (MAX_CONFIG_BYTES - 1) + b"\n")
    error = _refused(over)
    assert f"configuration file {over} is larger than 1 MiB" in error.message


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes(b"notify:\n  locale: \xe9\n")
    error = _refused(path)
    assert f"{path}:2: not UTF-8 text" in error.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbfnotify:\n  locale: en\n")
    assert load([path], {}).raw("notify", "locale") == "en"


def test_control_characters_name_the_line(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  locale: \x01\n"))
    assert f"{tmp_path / 'c.yml'}:2: not valid YAML" in error.message


def test_unknown_tag_is_a_yaml_error_with_line(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  locale: !python/name:os.system en\n"))
    assert f"{tmp_path / 'c.yml'}:2: not valid YAML" in error.message


def test_directory_as_config(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(tmp_path), "config", "check")
    assert result.code == 2
    assert f"configuration file {tmp_path} is a directory" in result.err
    assert "Traceback" not in result.all


def test_non_scalar_key_is_refused(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  ? [a, b]\n  : x\n"))
    assert ":2: notify has a key that is not plain text" in error.message
