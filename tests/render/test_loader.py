"""Templates load only from files inside the folders they were found in
(cibridge.render.loader): no symlink, parent path, FIFO or oversized file gets read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.render import engine as render


@pytest.fixture
def repo_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / ".cibridge" / "templates"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOP-SECRET-VALUE")
    return secret


def _render_in(folder: Path, name: str, text: str) -> render.Rendered:
    (folder / name).write_text(text)
    return render.render(name, {}, render.search_path(folder))


def _assert_outside(error: CibridgeError, template: str, folder: Path) -> None:
    assert error.exit_code == 2
    assert repr(template) in error.message
    assert str(folder) in error.message
    assert "symlinks/paths outside the template folder are not followed" in error.message
    assert "TOP-SECRET-VALUE" not in str(error)
    assert str(folder) in error.hint


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_symlink_to_process_environment_is_refused(
    repo_templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTED_SECRET", "TOP-SECRET-VALUE")
    (repo_templates / "x.txt").symlink_to("/proc/self/environ")
    with pytest.raises(CibridgeError) as caught:
        _render_in(repo_templates, "t.txt.j2", "{% include 'x.txt' %}")
    _assert_outside(caught.value, "x.txt", repo_templates)


@pytest.mark.parametrize(
    "statement",
    [
        "{% include 'x.txt' %}",
        "{% include 'x.txt' ignore missing %}",
        "{% include ['nope.txt', 'x.txt'] %}",
        "{% extends 'x.txt' %}",
        "{% import 'x.txt' as m %}",
        "{% from 'x.txt' import y %}",
    ],
)
def test_symlink_out_of_the_folder_is_refused_however_it_is_loaded(
    repo_templates: Path, outside_secret: Path, statement: str
) -> None:
    (repo_templates / "x.txt").symlink_to(outside_secret)
    with pytest.raises(CibridgeError) as caught:
        _render_in(repo_templates, "t.txt.j2", statement)
    _assert_outside(caught.value, "x.txt", repo_templates)


def test_symlinked_subfolder_out_of_the_folder_is_refused(
    repo_templates: Path, outside_secret: Path
) -> None:
    (repo_templates / "sub").symlink_to(outside_secret.parent, target_is_directory=True)
    with pytest.raises(CibridgeError) as caught:
        _render_in(repo_templates, "t.txt.j2", "{% include 'sub/secret.txt' %}")
    _assert_outside(caught.value, "sub/secret.txt", repo_templates)


def test_the_template_named_by_the_user_may_not_be_a_link_out_either(
    repo_templates: Path, outside_secret: Path
) -> None:
    (repo_templates / "slack").mkdir()
    (repo_templates / "slack" / "build.yml.j2").symlink_to(outside_secret)
    with pytest.raises(CibridgeError) as caught:
        render.render("slack/build.yml.j2", {}, render.search_path(repo_templates))
    _assert_outside(caught.value, "slack/build.yml.j2", repo_templates)


def test_parent_paths_are_not_found(repo_templates: Path, outside_secret: Path) -> None:
    relative = Path("..") / ".." / ".." / "elsewhere" / "secret.txt"
    assert (repo_templates / relative).resolve() == outside_secret.resolve()
    for name in (relative.as_posix(), str(outside_secret)):
        with pytest.raises(CibridgeError) as caught:
            _render_in(repo_templates, "t.txt.j2", f"{{% include {name!r} %}}")
        assert "not found" in caught.value.message
        assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_links_inside_the_folder_are_followed(repo_templates: Path) -> None:
    (repo_templates / "parts").mkdir()
    (repo_templates / "parts" / "real.txt").write_text("from inside")
    (repo_templates / "x.txt").symlink_to(repo_templates / "parts" / "real.txt")
    (repo_templates / "alias").symlink_to("parts", target_is_directory=True)
    result = _render_in(
        repo_templates, "t.txt.j2", "{% include 'x.txt' %}|{% include 'alias/real.txt' %}"
    )
    assert result.text == "from inside|from inside"


def test_a_folder_reached_through_a_link_is_still_its_own_folder(tmp_path: Path) -> None:
    real = tmp_path / "real-templates"
    real.mkdir()
    (real / "part.txt").write_text("part")
    linked = tmp_path / "linked"
    linked.symlink_to(real, target_is_directory=True)
    assert _render_in(linked, "t.txt.j2", "{% include 'part.txt' %}").text == "part"


def test_an_explicit_template_path_is_used_even_as_a_link_but_its_includes_are_confined(
    tmp_path: Path, outside_secret: Path
) -> None:
    chosen = tmp_path / "shared" / "msg.txt.j2"
    chosen.parent.mkdir()
    chosen.write_text("hello {% include 'part.txt' %}")
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "part.txt").write_text("part")  # includes resolve next to the path given
    (folder / "msg.txt.j2").symlink_to(chosen)
    result = render.render(str(folder / "msg.txt.j2"), {}, render.search_path(None))
    assert result.text == "hello part"
    (folder / "x.txt").symlink_to(outside_secret)
    (folder / "bad.txt.j2").write_text("{% include 'x.txt' %}")
    with pytest.raises(CibridgeError) as caught:
        render.render(str(folder / "bad.txt.j2"), {}, render.search_path(None))
    _assert_outside(caught.value, "x.txt", folder)


def test_template_size_is_capped(repo_templates: Path) -> None:
    limit = render.MAX_TEMPLATE_BYTES
    (repo_templates / "fits.txt").write_text("a" * limit)
    assert len(_render_in(repo_templates, "t.txt.j2", "{% include 'fits.txt' %}").text) == limit
    (repo_templates / "big.txt").write_text("a" * (limit + 1))
    with pytest.raises(CibridgeError) as caught:
        _render_in(repo_templates, "t.txt.j2", "{% include 'big.txt' %}")
    assert caught.value.exit_code == 2
    assert "'big.txt'" in caught.value.message
    assert "256 KiB" in caught.value.message


def test_fifo_in_the_folder_is_not_opened(repo_templates: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(repo_templates / "pipe.txt")  # opening it would block forever
    with pytest.raises(CibridgeError, match="not found"):
        _render_in(repo_templates, "t.txt.j2", "{% include 'pipe.txt' %}")


def test_template_that_is_not_utf8(repo_templates: Path) -> None:
    (repo_templates / "latin.txt").write_bytes(b"caf\xe9")
    with pytest.raises(CibridgeError, match="not UTF-8"):
        _render_in(repo_templates, "t.txt.j2", "{% include 'latin.txt' %}")


def test_cli_refuses_a_repository_template_that_links_out(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / ".cibridge" / "templates" / "slack"
    folder.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP-SECRET-VALUE")
    (folder / "x.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "build.yml.j2").write_text("text: \"{% include 'slack/x.txt' %}\"\n")
    result = cli("render", "--sample", "slack/build.yml.j2")
    assert result.code == 2
    assert "symlinks/paths outside the template folder are not followed" in result.err
    assert "TOP-SECRET-VALUE" not in result.all
