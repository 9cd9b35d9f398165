"""Placeholders in queries: a value stays inside its string literal, whatever it holds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cibridge.core.errors import CibridgeError
from cibridge.gate.promql import render_query, render_text, render_url

WHERE = ".cibridge.yml:4 query"
_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'"}


def literal_at(query: str, start: int) -> tuple[str, int]:
    """PromQL's reading of the string literal opening at ``start`` (Go's unquote rules: only
    the literal's own quote may be escaped): its value and where it ends."""
    quote = query[start]
    out, index = [], start + 1
    while query[index] != quote:
        if query[index] == "\\":
            escaped = query[index + 1]
            assert escaped in _UNESCAPE and escaped not in "\"'".replace(quote, ""), escaped
            out.append(_UNESCAPE[escaped])
            index += 2
        else:
            out.append(query[index])
            index += 1
    return "".join(out), index + 1


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r"),
        min_size=1,
    )
)
@example('"} or vector(1) #')
@example("\\")
@example("a'b\"c\\\\d")
@settings(derandomize=True, max_examples=200)
def test_a_value_stays_in_its_literal(value: str) -> None:
    for quote in "\"'":
        query = f'sum(up{{job={quote}{{{{ name }}}}{quote}, a="b"}})'
        rendered = render_query(query, {"name": value}, WHERE)
        start = rendered.index(quote)
        read, end = literal_at(rendered, start)
        assert read == value
        assert rendered[:start] == "sum(up{job=" and rendered[end:] == ', a="b"})'


def test_regex_matchers_match_the_value_only() -> None:
    rendered = render_query('up{job=~"{{ name }}", x!~ "a|{{ name }}"}', {"name": "a.b(c)"}, WHERE)
    first, _ = literal_at(rendered, rendered.index('"'))
    assert (
        first == r"a\.b\(c\)"
        and re.fullmatch(first, "a.b(c)")
        and not re.fullmatch(first, "axb(c)")
    )
    assert r'x!~ "a|a\\.b\\(c\\)"' in rendered


def test_seed_query_renders() -> None:
    query = 'up{job="{{service_name}}"}'
    assert render_query(query, {"service_name": "checkout"}, WHERE) == 'up{job="checkout"}'


def test_backtick_literals_refuse_a_backtick() -> None:
    assert render_query("up{job=`{{ n }}`}", {"n": 'a"b\\'}, WHERE) == 'up{job=`a"b\\`}'
    with pytest.raises(CibridgeError, match="backtick"):
        render_query("up{job=`{{ n }}`}", {"n": "a`b"}, WHERE)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("5m", True),
        ("0.95", True),
        ("job", True),
        ("1e3", True),
        ("5m) or vector(1", False),
        ("or", False),
        ("OR", False),
        ("Unless", False),
        ("AND", False),
        ("a b", False),
        ("1h30m", True),
    ],
)
def test_outside_a_literal_only_plain_values(value: str, ok: bool) -> None:
    query = "histogram_quantile({{ v }}, rate(x[5m]))"
    if ok:
        assert render_query(query, {"v": value}, WHERE) == query.replace("{{ v }}", value)
    else:
        with pytest.raises(CibridgeError, match="outside a string literal") as caught:
            render_query(query, {"v": value}, WHERE)
        assert caught.value.exit_code == 2


def test_missing_and_structured_values() -> None:
    with pytest.raises(CibridgeError, match=r"\{\{ service_name \}\} has no value") as caught:
        render_query('up{job="{{ service_name }}"}', {}, WHERE)
    assert "--set service_name=" in caught.value.hint
    with pytest.raises(CibridgeError, match="is a list"):
        render_query('up{job="{{ commits }}"}', {"commits": []}, WHERE)
    with pytest.raises(CibridgeError, match="not a"):
        render_query('up{job="{{ service_name | upper }}"}', {"service_name": "x"}, WHERE)


def test_escaped_quotes_in_the_template_are_respected() -> None:
    rendered = render_query('up{a="x\\"{{ n }}"}', {"n": 'q"'}, WHERE)
    assert literal_at(rendered, rendered.index('"'))[0] == 'x"q"'


def test_text_values_are_one_line_without_spaces() -> None:
    assert render_text("http://{{ u }}/health", {"u": "svc:8080"}, "w") == "http://svc:8080/health"
    with pytest.raises(CibridgeError, match="space or control"):
        render_text("http://{{ u }}/health", {"u": "svc\n/evil"}, "w")


def test_a_raw_literal_ends_at_its_backtick_even_after_a_backslash() -> None:
    # `x\` is the two characters x and \: a raw string has no escapes, so what follows the
    # closing backtick is query again and a value there must be a plain one.
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query("up{a=`x\\`} > {{ v }}", {"v": "1 or vector(1)"}, WHERE)
    assert render_query("up{a=`x\\`} > {{ v }}", {"v": "0.5"}, WHERE) == "up{a=`x\\`} > 0.5"
    rendered = render_query('up{a=`x\\`, b="{{ v }}"}', {"v": '"} or vector(1) #'}, WHERE)
    assert literal_at(rendered, rendered.index('"'))[0] == '"} or vector(1) #'


@pytest.mark.parametrize("quote", ['"', "'"])
def test_an_escaped_backslash_ends_a_quoted_literal_before_its_quote(quote: str) -> None:
    query = f"up{{a={quote}x\\\\{quote}}} > {{{{ v }}}}"
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query(query, {"v": "1 or vector(1)"}, WHERE)
    assert render_query(query, {"v": "2"}, WHERE) == query.replace("{{ v }}", "2")


def test_an_escaped_quote_does_not_end_a_literal() -> None:
    query = 'up{a="x\\"y", b="{{ v }}"}'
    rendered = render_query(query, {"v": 'p"q'}, WHERE)
    assert rendered == 'up{a="x\\"y", b="p\\"q"}'


@pytest.mark.parametrize(
    "word",
    [
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "atan2",
        "start",
        "end",
    ],
)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_a_bare_keyword_in_any_case_is_refused(word: str, case: Any) -> None:
    with pytest.raises(CibridgeError, match="outside a string literal") as caught:
        render_query("x > {{ v }}", {"v": case(word)}, WHERE)
    assert repr(case(word)) in caught.value.message
    assert (
        caught.value.hint
        == 'put it in quotes (job="{{ v }}") or pass a plain number, duration or name'
    )
    # In quotes a keyword is just text.
    assert render_query('x{a="{{ v }}"}', {"v": word}, WHERE) == f'x{{a="{word}"}}'


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "42",
        "0.5",
        "1e3",
        "1E-3",
        "2.5e+10",
        "5m",
        "500ms",
        "1h30m",
        "1y2w3d",
        "job",
        "_x",
        "a:b:c",
        ":x",
        "Ab_9",
        "orx",
        "order",
        "andy",
    ],
)
def test_plain_numbers_durations_and_names_stand_outside_a_literal(value: str) -> None:
    assert render_query("x offset {{ v }}", {"v": value}, WHERE) == f"x offset {value}"


@pytest.mark.parametrize(
    "value",
    [
        "-1",
        "1.",
        ".5",
        "1e",
        "5mm",
        "5 m",
        "1h30",
        "a-b",
        "a.b",
        "x{}",
        "9a",
        "a b",
        "+1",
        "1h-1m",
        "a\n",
        "1)",
    ],
)
def test_anything_else_outside_a_literal_is_refused(value: str) -> None:
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query("x offset {{ v }}", {"v": value}, WHERE)


@pytest.mark.parametrize("special", list("\\.+*?()|[]{}^$"))
@pytest.mark.parametrize("matcher", ["=~", "!~", "=~ ", "!~\t"])
def test_every_re2_special_after_a_regex_matcher_is_escaped(special: str, matcher: str) -> None:
    value = f"a{special}b"
    rendered = render_query(f'up{{job{matcher}"{{{{ v }}}}"}}', {"v": value}, WHERE)
    read, _ = literal_at(rendered, rendered.index('"'))
    assert read == f"a\\{special}b"
    assert re.fullmatch(read, value)
    raw = render_query(f"up{{job{matcher}`{{{{ v }}}}`}}", {"v": value}, WHERE)
    assert raw == f"up{{job{matcher}`a\\{special}b`}}"


@pytest.mark.parametrize("value", ["a-b", "a,b", "a/b", "a=b", "a~b", "a!b", "a#b", "a%b"])
def test_characters_re2_reads_as_themselves_are_left_alone(value: str) -> None:
    assert render_query('up{job=~"{{ v }}"}', {"v": value}, WHERE) == f'up{{job=~"{value}"}}'


@pytest.mark.parametrize(
    "query",
    [
        'up{job="{{ v }}"}',
        "up{job=`{{ v }}`}",
        'up{job~"{{ v }}"}',
        'up{job=~x, a="{{ v }}"}',
        'up{job=~"a", b="{{ v }}"}',
    ],
)
def test_a_plain_matcher_keeps_regex_specials_as_they_are(query: str) -> None:
    assert render_query(query, {"v": "a.b*"}, WHERE) == query.replace("{{ v }}", "a.b*")


@pytest.mark.parametrize("quote", ['"', "'"])
def test_newline_return_and_tab_are_written_as_escapes(quote: str) -> None:
    rendered = render_query(f"up{{a={quote}{{{{ v }}}}{quote}}}", {"v": "a\nb\rc\td\\e"}, WHERE)
    assert rendered == f"up{{a={quote}a\\nb\\rc\\td\\\\e{quote}}}"


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f"]
)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_other_control_characters_in_a_quoted_value_are_refused(char: str, quote: str) -> None:
    with pytest.raises(CibridgeError, match=r"\{\{ v \}\} has a control character") as caught:
        render_query(f"up{{a={quote}{{{{ v }}}}{quote}}}", {"v": f"a{char}b"}, WHERE)
    assert caught.value.exit_code == 2 and caught.value.hint == "pass plain text"


def test_a_quote_is_escaped_only_for_its_own_literal() -> None:
    assert render_query("up{a='{{ v }}'}", {"v": "x'y\"z"}, WHERE) == "up{a='x\\'y\"z'}"
    assert render_query('up{a="{{ v }}"}', {"v": "x'y\"z"}, WHERE) == 'up{a="x\'y\\"z"}'


def test_a_raw_literal_holds_its_value_as_it_is() -> None:
    value = "a\\b\nc\"d'e\x01"
    assert render_query("up{a=`{{ v }}`}", {"v": value}, WHERE) == f"up{{a=`{value}`}}"


def test_a_comment_is_left_as_written_placeholders_too() -> None:
    query = "up # a {{ comment }} here\n> {{ v }}"
    assert render_query(query, {"v": "1"}, WHERE) == "up # a {{ comment }} here\n> 1"
    assert render_query("up # {{ nothing }}", {}, WHERE) == "up # {{ nothing }}"


def test_a_quote_in_a_comment_opens_no_literal() -> None:
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query("up # it's the job\n> {{ v }}", {"v": "1 or vector(1)"}, WHERE)
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query('up # say "\n> {{ v }}', {"v": "1 or vector(1)"}, WHERE)


def test_a_hash_inside_a_literal_is_no_comment() -> None:
    rendered = render_query('up{a="#{{ v }}"} > {{ w }}', {"v": 'x"', "w": "1"}, WHERE)
    assert rendered == 'up{a="#x\\""} > 1'


def test_an_unsupported_placeholder_in_a_comment_is_still_refused() -> None:
    with pytest.raises(CibridgeError, match="is not a"):
        render_query("up # {{ v | upper }}", {"v": "x"}, WHERE)


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_value_is_no_value(empty: object) -> None:
    with pytest.raises(CibridgeError) as caught:
        render_query('up{a="{{ v }}"}', {"v": empty}, WHERE)
    assert caught.value.message == ".cibridge.yml:4 query: placeholder {{ v }} has no value"
    assert caught.value.hint == "pass --set v=VALUE (the action's `set` input), or remove it"


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (0.5, "0.5"), (-2, "-2"), ("0", "0")])
def test_a_zero_or_a_number_is_a_value(value: object, text: str) -> None:
    assert render_query('up{a="{{ v }}"}', {"v": value}, WHERE) == f'up{{a="{text}"}}'


@pytest.mark.parametrize(
    ("value", "kind"), [(True, "bool"), (False, "bool"), ({"a": 1}, "dict"), ([1], "list")]
)
def test_a_flag_or_a_structure_is_not_a_value(value: object, kind: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        render_query('up{a="{{ v }}"}', {"v": value}, WHERE)
    assert (
        caught.value.message
        == f".cibridge.yml:4 query: placeholder {{{{ v }}}} is a {kind}, not a value"
    )
    assert caught.value.hint == "pass --set v=VALUE"


@pytest.mark.parametrize("spelling", ["{{v}}", "{{ v }}", "{{  v\t}}", "{{\nv\n}}"])
def test_placeholders_may_be_spaced(spelling: str) -> None:
    assert render_query(f'up{{a="{spelling}"}}', {"v": "x"}, WHERE) == 'up{a="x"}'


@pytest.mark.parametrize(
    "spelling", ["{{ v w }}", "{{ 1v }}", "{{ v-w }}", "{{}}", "{{ v.x }}", "{{\n v | x\n}}"]
)
def test_anything_else_in_braces_is_refused_with_its_text(spelling: str) -> None:
    with pytest.raises(CibridgeError, match="is not a") as caught:
        render_query(f'up{{a="{spelling}"}}', {"v": "x"}, WHERE)
    assert caught.value.message.startswith(".cibridge.yml:4 query: ")
    assert (
        caught.value.hint
        == "queries take plain {{ name }} placeholders (no filters or expressions)"
    )


def test_the_query_around_the_placeholders_is_kept() -> None:
    query = "sum(rate(x{a=\"{{ v }}\", b='{{ w }}'}[{{ d }}])) > {{ n }} # end"
    values = {"v": "1", "w": "2", "d": "5m", "n": "0.5"}
    assert render_query(query, values, WHERE) == "sum(rate(x{a=\"1\", b='2'}[5m])) > 0.5 # end"


@pytest.mark.parametrize("char", [" ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f"])
def test_text_and_url_values_refuse_spaces_and_control_characters(char: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        render_text("svc-{{ u }}", {"u": f"a{char}b"}, "w")
    assert caught.value.message == "w: the value of {{ u }} has a space or control character"
    assert caught.value.hint == "pass a plain host, URL or name"
    with pytest.raises(CibridgeError, match="space or control"):
        render_url("http://h/{{ u }}", {"u": f"a{char}b"}, "w")


def test_text_values_are_kept_as_they_are() -> None:
    assert render_text("{{ a }}-{{b}}", {"a": "x/y?z", "b": 3}, "w") == "x/y?z-3"
    with pytest.raises(CibridgeError, match="is not a"):
        render_text("{{ a | b }}", {"a": "x"}, "w")


def test_url_values_are_encoded_for_where_they_land() -> None:
    assert render_url("http://{{ h }}/p/{{ p }}", {"h": "svc:80", "p": "a/b"}, "w") == (
        "http://svc:80/p/a%2Fb"
    )
    with pytest.raises(CibridgeError) as caught:
        render_url("http://{{ h }}/p", {"h": "evil.com/x"}, "w")
    assert "the value of {{ h }} has '/'" in caught.value.message
    with pytest.raises(CibridgeError, match="is not a"):
        render_url("http://{{ h | x }}/p", {"h": "x"}, "w")


@pytest.mark.parametrize("name", ["v", "Svc", "_x", "aB", "a9", "a_b", "NAME_2"])
def test_a_placeholder_is_named_by_an_identifier(name: str) -> None:
    query = f'up{{a="{{{{ {name} }}}}"}} > {{{{{name}}}}}'
    assert render_query(query, {name: "7"}, WHERE) == 'up{a="7"} > 7'
    assert render_text(f"svc-{{{{ {name} }}}}", {name: "x"}, "w") == "svc-x"


@pytest.mark.parametrize("value", ["aB", "Ab", "A", "z9", "x_Y:z"])
def test_names_in_either_case_stand_outside_a_literal(value: str) -> None:
    assert render_query("x offset {{ v }}", {"v": value}, WHERE) == f"x offset {value}"


def test_a_long_value_outside_a_literal_is_shown_cut_to_forty_characters() -> None:
    value = "x" * 39 + " or vector(1)"
    with pytest.raises(CibridgeError) as caught:
        render_query("up > {{ v }}", {"v": value}, WHERE)
    assert caught.value.message == (
        f".cibridge.yml:4 query: {{{{ v }}}} stands outside a string literal, where its value "
        f"{'x' * 39 + '…'!r} could change the query"
    )
    with pytest.raises(CibridgeError) as caught:
        render_query("up > {{ v }}", {"v": "x" * 39 + " "}, WHERE)
    assert repr("x" * 39) in caught.value.message


def test_text_and_url_errors_name_where_the_placeholder_is() -> None:
    for render in (render_text, render_url):
        with pytest.raises(CibridgeError) as caught:
            render("http://h/{{ u }}", {}, "svc.yml:9 url")
        assert caught.value.message == "svc.yml:9 url: placeholder {{ u }} has no value"
        with pytest.raises(CibridgeError) as caught:
            render("http://h/{{ u | x }}", {"u": "a"}, "svc.yml:9 url")
        assert caught.value.message.startswith("svc.yml:9 url: '{{ u | x }}' is not a")
        with pytest.raises(CibridgeError) as caught:
            render("http://h/{{ u }}", {"u": "a b"}, "svc.yml:9 url")
        assert caught.value.message.startswith("svc.yml:9 url: the value of {{ u }} has a space")


def test_a_backtick_in_a_raw_literal_says_to_use_double_quotes() -> None:
    with pytest.raises(CibridgeError) as caught:
        render_query("up{job=`{{ n }}`}", {"n": "a`b"}, WHERE)
    assert caught.value.message == (
        ".cibridge.yml:4 query: the value of {{ n }} has a backtick, which a `raw string` "
        "cannot hold"
    )
    assert caught.value.hint == 'quote the placeholder with double quotes: "{{ n }}"'


def test_a_long_unsupported_placeholder_is_shown_cut_to_sixty_characters() -> None:
    braces = "{{ v | " + "x" * 70 + " }}"
    with pytest.raises(CibridgeError) as caught:
        render_query(f'up{{a="{braces}"}}', {"v": "a"}, WHERE)
    assert caught.value.message == (
        f".cibridge.yml:4 query: {braces[:59] + '…'!r} is not a {{{{ name }}}} placeholder"
    )
    # One that fits is shown whole.
    fits = "{{ v | " + "x" * 50 + " }}"
    assert len(fits) == 60
    with pytest.raises(CibridgeError) as caught:
        render_query(f'up{{a="{fits}"}}', {"v": "a"}, WHERE)
    assert f"{fits!r} is not a" in caught.value.message


def test_a_placeholder_or_a_literal_at_the_very_start_is_read() -> None:
    assert render_query("{{ v }} > 0", {"v": "5"}, WHERE) == "5 > 0"
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query("{{ v }} > 0", {"v": "1 or vector(1)"}, WHERE)
    # A query may be a string literal itself: the value stays inside it.
    rendered = render_query('"{{ v }}"', {"v": 'a" or "b'}, WHERE)
    assert literal_at(rendered, 0) == ('a" or "b', len(rendered))


def test_a_comment_on_the_first_line_is_left_as_written() -> None:
    query = "# the {{ note }}\nup > {{ v }}"
    assert render_query(query, {"v": "1"}, WHERE) == "# the {{ note }}\nup > 1"


@pytest.mark.parametrize("name", ["X", "Xyz_total", "http_X_total", "aXb"])
def test_a_letter_in_a_name_opens_no_literal(name: str) -> None:
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query(f"{name} > {{{{ v }}}}", {"v": "1 or vector(1)"}, WHERE)
    assert render_query(f"{name} > {{{{ v }}}}", {"v": "1"}, WHERE) == f"{name} > 1"


def test_a_comment_ends_at_its_own_line_not_the_last() -> None:
    query = "sum(up)\n  # the {{ note }}\n  > {{ v }}\n  # and {{ more }}\n  + {{ w }}\n"
    assert render_query(query, {"v": "1", "w": "2"}, WHERE) == (
        "sum(up)\n  # the {{ note }}\n  > 1\n  # and {{ more }}\n  + 2\n"
    )
    with pytest.raises(CibridgeError, match="outside a string literal"):
        render_query(query, {"v": "1", "w": "2 or vector(1)"}, WHERE)
