from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.render import engine as render

HOSTILE = 'x: 1\n"quoted" {{ 7*7 }} {% raw %}\n::set-output name=pwned::1\n- [evil]\n  nested: true'


def _render(tmp_path: Path, name: str, text: str, **variables: object) -> render.Rendered:
    (tmp_path / name).write_text(text)
    return render.render(str(tmp_path / name), variables, render.search_path(None))


def test_text_template(tmp_path: Path) -> None:
    result = _render(
        tmp_path,
        "t.md.j2",
        "Build {{ repository }} {{ status | upper }}\n",
        repository="acme/x",
        status="ok",
    )
    assert result.text == "Build acme/x OK\n"
    assert not result.is_data


def test_untrusted_values_come_out_literally_in_text(tmp_path: Path) -> None:
    result = _render(tmp_path, "t.txt.j2", "{{ message }}", message=HOSTILE)
    assert result.text == HOSTILE


@pytest.mark.parametrize(
    "template",
    [
        "title: {{ message }}\n",  # unquoted
        'title: "{{ message }}"\n',  # quoted
        "title: >-\n  {{ message }}\n",  # block scalar
        '{"title": {{ message }}}\n',  # JSON
    ],
)
def test_data_templates_cannot_be_restructured_by_values(tmp_path: Path, template: str) -> None:
    result = _render(tmp_path, "t.yml.j2", template, message=HOSTILE)
    assert result.data == {"title": HOSTILE}


def test_whole_value_keeps_its_type(tmp_path: Path) -> None:
    result = _render(
        tmp_path,
        "t.yml.j2",
        "n: {{ n }}\nitems: {{ items }}\nnone: {{ nothing }}\n",
        n=3,
        items=[{"a": 1}],
        nothing=None,
    )
    assert result.data == {"n": 3, "items": [{"a": 1}], "none": None}


def test_values_inside_larger_strings(tmp_path: Path) -> None:
    result = _render(
        tmp_path, "t.yml.j2", 'text: "*Branch:* {{ b }}\\n*By:* {{ who }}"\n', b="main", who='"x"'
    )
    assert result.data == {"text": '*Branch:* main\n*By:* "x"'}


def test_macro_output_is_text(tmp_path: Path) -> None:
    template = '{% macro line(c) %}- {{ c }} ok{% endmacro %}text: "{{ line(message) }}"\n'
    result = _render(tmp_path, "t.yml.j2", template, message="a: b")
    assert result.data == {"text": "- a: b ok"}


def test_loop_generates_structure(tmp_path: Path) -> None:
    template = "items:\n{% for c in commits %}\n  - title: {{ c }}\n{% endfor %}\n"
    result = _render(tmp_path, "t.yml.j2", template, commits=["a", "b: c", "- d"])
    assert result.data == {"items": [{"title": "a"}, {"title": "b: c"}, {"title": "- d"}]}


def test_undefined_name_names_template_and_line(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _render(tmp_path, "t.md.j2", "one\ntwo\n{{ nope }}\n")
    assert caught.value.exit_code == 2
    assert f"{tmp_path / 't.md.j2'}:3" in caught.value.message
    assert "'nope' is undefined" in caught.value.message
    assert "--set" in caught.value.hint


def test_undefined_attribute(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError, match="has no attribute 'nope'"):
        _render(tmp_path, "t.md.j2", "{{ pull_request.nope }}", pull_request={})


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _render(tmp_path, "t.md.j2", "ok\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    assert "blocked by the sandbox" in caught.value.message
    assert ":2" in caught.value.message


def test_sandbox_blocks_mutation(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError, match="sandbox"):
        _render(tmp_path, "t.md.j2", "{{ items.append(1) }}", items=[])


def test_syntax_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _render(tmp_path, "t.md.j2", "a\n{% if x %}\nno end\n")
    assert "syntax error" in caught.value.message


def test_rendered_yaml_that_is_invalid_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _render(tmp_path, "t.yml.j2", "a: 1\n  b: [\n")
    assert "not valid YAML" in caught.value.message


def test_missing_template_lists_search_path(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        render.render("slack/nope.yml.j2", {}, render.search_path(None))
    assert "not found" in caught.value.message
    assert "--list" in caught.value.hint


def test_repository_override_wins_and_can_extend_builtin(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    override = tmp_path / ".cibridge" / "templates" / "slack"
    override.mkdir(parents=True)
    (override / "build.yml.j2").write_text(
        '{% extends "slack/_layout.yml.j2" %}{% block title %}Custom {{ repository }}{% endblock %}'
    )
    result = cli("render", "--sample", "slack/build.yml.j2")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["attachments"][0]["blocks"][0]["text"]["text"] == "Custom acme/checkout"
    listed = cli("render", "--list").out
    assert ".cibridge/templates" in next(
        line for line in listed.splitlines() if line.startswith("slack/build.yml.j2")
    )


def test_every_builtin_template_renders_for_every_event(cli) -> None:  # type: ignore[no-untyped-def]
    for provider in ("slack", "dingtalk", "feishu", "wecom", "teams", "webhook"):
        for event in ("build", "deploy", "alert"):
            for locale in ("en", "zh-CN"):
                result = cli(
                    "render",
                    "--sample",
                    "--event",
                    event,
                    "--locale",
                    locale,
                    "--set",
                    "alert_name=HighErrorRate",
                    "--set",
                    "severity=critical",
                    f"{provider}/{event}.yml.j2",
                )
                assert result.code == 0, (provider, event, result.err)
                assert json.loads(result.out)


def test_chinese_labels(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("render", "--sample", "--locale", "zh-CN", "dingtalk/build.yml.j2").out)
    assert "构建通知" in data["markdown"]["text"]
    assert "触发者" in data["markdown"]["text"]


def test_render_writes_output_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.json"
    result = cli(
        "render", "--sample", "slack/deploy.yml.j2", "--event", "deploy", "-o", str(target)
    )
    assert result.code == 0
    assert json.loads(target.read_text())["attachments"][0]["color"] == "#2EB67D"


def test_hostile_commit_is_fenced_on_github(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "t.txt.j2").write_text("{{ note }}")
    result = cli("render", "t.txt.j2", "--set", f"note={HOSTILE}", env={"GITHUB_ACTIONS": "true"})
    lines = result.out.splitlines()
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    assert "::set-output name=pwned::1" in lines
    assert lines.index("::set-output name=pwned::1") < lines.index(f"::{token}::")


# --- Only files inside the template folders -------------------------------------------


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


# --- Bytecode cache only from a safe directory -------------------------------------------


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


def test_render_module_does_not_read_os_environ() -> None:
    source = Path(render.__file__).read_text()
    assert "os.environ" not in source
    assert "getenv" not in source
    assert "expanduser" not in source
