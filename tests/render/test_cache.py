"""The bytecode cache (cibridge.render.cache): used only from a directory and files no one
else can write, and only where the given environment says."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cibridge.render import engine as render


class _Plant:
    """Unpickling this makes a directory: proof that a cache file was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _cache_files(root: Path) -> list[Path]:
    return sorted(root.glob("jinja-*/__jinja2_*.cache"))


Cached = tuple[Path, Path, Callable[[], render.Rendered]]


@pytest.fixture
def cached(tmp_path: Path) -> Cached:
    """A template rendered once with a cache root; returns (root, marker, render again)."""
    import pickle

    from jinja2.bccache import bc_magic

    template = tmp_path / "t.txt.j2"
    template.write_text("hello {{ who }}")
    root = tmp_path / "cache" / "cibridge"
    marker = tmp_path / "PWNED"
    env = {"CIBRIDGE_CACHE_DIR": str(root)}

    def again() -> render.Rendered:
        return render.render(str(template), {"who": "you"}, render.search_path(None), env=env)

    assert again().text == "hello you"
    files = _cache_files(root)
    assert files, "the first render writes the cache"
    for path in files:
        path.write_bytes(bc_magic + pickle.dumps(_Plant(marker), 2))
    return root, marker, again


def test_planted_cache_file_in_a_safe_folder_is_loaded(cached: Cached) -> None:
    """The control case: shows the planted file is a real threat, so the tests below mean it."""
    root, marker, again = cached
    assert again().text == "hello you"
    assert marker.exists()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_world_writable_cache_root_is_not_used(cached: Cached) -> None:
    root, marker, again = cached
    root.chmod(0o777)
    assert again().text == "hello you"
    assert not marker.exists()


def test_group_writable_jinja_folder_is_not_used(cached: Cached) -> None:
    root, marker, again = cached
    _cache_files(root)[0].parent.chmod(0o770)
    assert again().text == "hello you"
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_cache_root_owned_by_another_user_is_not_used(cached: Cached) -> None:
    root, marker, again = cached
    os.chown(root, 65534, 65534)
    assert again().text == "hello you"
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_cache_file_owned_by_another_user_is_not_loaded(cached: Cached) -> None:
    root, marker, again = cached
    for path in _cache_files(root):
        os.chown(path, 65534, 65534)
    assert again().text == "hello you"
    assert not marker.exists()


def test_group_writable_cache_file_is_not_loaded(cached: Cached) -> None:
    root, marker, again = cached
    for path in _cache_files(root):
        path.chmod(0o664)
    assert again().text == "hello you"
    assert not marker.exists()


def test_cache_root_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("ok")
    (tmp_path / "file").write_text("")
    env = {"CIBRIDGE_CACHE_DIR": str(tmp_path / "file")}
    assert render.render(str(tmp_path / "t.txt.j2"), {}, [], env=env).text == "ok"


def test_no_cache_without_getuid(cached: Cached, monkeypatch: pytest.MonkeyPatch) -> None:
    _root, marker, again = cached
    monkeypatch.delattr(os, "getuid")
    assert again().text == "hello you"
    assert not marker.exists()


def test_unsafe_cache_is_reported_in_verbose_mode(
    cached: Cached,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cibridge.core import log

    root, _marker, again = cached
    root.chmod(0o777)
    log.set_verbose(True)
    try:
        capsys.readouterr()
        again()
    finally:
        log.set_verbose(False)
    err = capsys.readouterr().err
    assert "template cache not used" in err
    assert "writable by group or others" in err


def test_no_cache_without_an_environment(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("ok")
    render.render(str(tmp_path / "t.txt.j2"), {}, [])
    render.render(str(tmp_path / "t.txt.j2"), {}, [], env={})
    assert not list(tmp_path.rglob("__jinja2_*"))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CIBRIDGE_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"),
        ({"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/cibridge"),
        ({"HOME": "/h"}, "/h/.cache/cibridge"),
        ({"CIBRIDGE_CACHE_DIR": "", "HOME": "/h"}, "/h/.cache/cibridge"),
        ({}, None),
    ],
)
def test_cache_root_comes_from_the_given_environment(
    env: dict[str, str], expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIBRIDGE_CACHE_DIR", "/from-os-environ")
    root = render.cache_root(env)
    assert (str(root) if root else None) == expected
