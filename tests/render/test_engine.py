"""Rendering (cibridge.render.engine): Jinja's sandbox, StrictUndefined, and values that
come out literally in text and keep their type in data templates."""

from __future__ import annotations

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


def test_a_missing_template_path_names_the_file_and_every_folder_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = tmp_path / "templates"
    repo.mkdir()
    given = ".cibridge/templates/slack/failure-details.yml.j2"
    with pytest.raises(CibridgeError) as caught:
        render.render(given, {}, render.search_path(repo))
    assert caught.value.message == (
        f"template {given!r} not found (searched {tmp_path / given} (no such file), "
        f"{repo}, {render.BUILTIN_DIR})"
    )
    assert caught.value.hint.startswith(f"create {given} (relative to {tmp_path})")


def test_a_missing_template_name_is_not_taken_for_a_path(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        render.render("slack/nope.yml.j2", {}, render.search_path(None))
    assert caught.value.message == (
        f"template 'slack/nope.yml.j2' not found (searched {render.BUILTIN_DIR})"
    )


def test_render_module_does_not_read_os_environ() -> None:
    for module in sorted(Path(render.__file__).parent.glob("*.py")):  # the whole package
        source = module.read_text()
        assert "os.environ" not in source, module.name
        assert "getenv" not in source, module.name
        assert "expanduser" not in source, module.name
