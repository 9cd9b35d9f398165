"""core.private: what a shared cache may hold, and what it may not."""

from __future__ import annotations

from pathlib import Path

from cibridge.core.private import private_folder


def test_a_cache_folder_that_is_a_symbolic_link_is_not_used(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    assert private_folder(real) == ""
    assert private_folder(tmp_path / "link") == "not a directory"
