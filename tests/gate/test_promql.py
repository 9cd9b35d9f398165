"""Placeholders in queries: a value stays inside its string literal, whatever it holds."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cibridge.core.errors import CibridgeError
from cibridge.gate.promql import render_query, render_text

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
