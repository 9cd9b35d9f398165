"""What --attach reads: files inside the workspace only, size-checked before sending,
secrets masked in text (with the masked length), binary files as they are unless a secret
sits in them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cibridge.clients.attachments import load
from cibridge.core import redact
from cibridge.core.errors import EXIT_USAGE, CibridgeError

SECRET = "xoxb-attach-canary-0123456789"


def _refused(path: str, workspace: Path, max_bytes: int = 1000) -> str:
    with pytest.raises(CibridgeError) as raised:
        load(path, workspace, max_bytes)
    assert raised.value.exit_code == EXIT_USAGE
    return str(raised.value)


def test_a_text_file_is_masked_and_its_length_is_the_masked_one(tmp_path: Path) -> None:
    redact.register(SECRET)
    (tmp_path / "log.txt").write_text(f"token={SECRET}\nok\n")
    item = load("log.txt", tmp_path)
    assert item.data == b"token=***\nok\n"
    assert item.length == len(b"token=***\nok\n")
    assert (item.text, item.masked, item.name, item.path) == (True, True, "log.txt", "log.txt")


def test_a_binary_file_goes_as_it_is(tmp_path: Path) -> None:
    data = bytes(range(256))
    (tmp_path / "chart.png").write_bytes(data)
    item = load(str(tmp_path / "chart.png"), tmp_path)
    assert (item.data, item.text, item.masked) == (data, False, False)


def test_a_binary_file_with_a_secret_in_it_is_refused(tmp_path: Path) -> None:
    redact.register(SECRET)
    (tmp_path / "dump.bin").write_bytes(b"\x00\x01" + SECRET.encode() + b"\xff")
    assert "is not text and contains a secret" in _refused("dump.bin", tmp_path)


def test_utf8_with_a_nul_is_binary(tmp_path: Path) -> None:
    (tmp_path / "a.dat").write_bytes(b"plain\x00text")
    assert load("a.dat", tmp_path).text is False


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    (tmp_path / "big.log").write_bytes(b"x" * 1001)
    message = _refused("big.log", tmp_path, max_bytes=1000)
    assert "is 1001 bytes, over the cap of 1000 (notify.attach_max_bytes)" in message
    assert load("big.log", tmp_path, max_bytes=1001).length == 1001


def test_missing_empty_directory_and_fifo_are_clear_errors(tmp_path: Path) -> None:
    assert "--attach nope.json: no such file" in _refused("nope.json", tmp_path)
    (tmp_path / "empty").write_bytes(b"")
    assert "is empty (Slack refuses a length of 0)" in _refused("empty", tmp_path)
    (tmp_path / "dir").mkdir()
    assert "is a directory" in _refused("dir", tmp_path)
    os.mkfifo(tmp_path / "pipe")
    assert "is not a regular file" in _refused("pipe", tmp_path)
    assert "the path is empty" in _refused(" ", tmp_path)


def test_a_symlink_out_of_the_workspace_is_refused_and_one_inside_is_fine(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    outside = tmp_path / "runner-credentials"
    outside.write_text("ghs_not_for_chat")
    (workspace / "report.json").symlink_to(outside)
    assert "is a symlink to a place outside the workspace" in _refused("report.json", workspace)
    (workspace / "real.json").write_text("{}")
    (workspace / "latest.json").symlink_to(workspace / "real.json")
    item = load("latest.json", workspace)
    assert (item.name, item.data) == ("latest.json", b"{}")


def test_a_path_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "elsewhere.txt").write_text("x")
    assert "is outside the workspace" in _refused("../elsewhere.txt", workspace)
    assert "is outside the workspace" in _refused(str(tmp_path / "elsewhere.txt"), workspace)


def test_a_file_that_cannot_be_opened_says_so(tmp_path: Path) -> None:
    import socket

    # A UNIX socket has a name but cannot be opened (ENXIO), even by root, who ignores
    # permission bits.
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        assert "--attach sock: cannot be read: No such device or address" in _refused(
            "sock", tmp_path
        )
