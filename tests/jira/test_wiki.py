"""Markdown to Jira wiki markup (Data Center): constructs, escaping, hostile input, size."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given

from cibridge.jira.inline import escape as markdown_escape
from cibridge.jira.sizing import MAX_BODY_CHARS, TRUNCATED, utf16_length
from cibridge.jira.wiki import escape, to_wiki
from tests.jira.strategies import SETTINGS, anything, one_line

# What Jira's BackslashEscapeRendererComponent turns back into the character.
_ESCAPE = re.compile(r"\\([-#*_+?^~|%{}\[\]()!@])")
_REFERENCE = re.compile(r"&(?:#[0-9]+|amp);")


def rendered_text(wiki: str) -> str:
    """What a reader sees of wiki markup that holds only escaped text."""
    return html.unescape(_ESCAPE.sub(r"\1", wiki))


def assert_inert(wiki: str) -> None:
    """``wiki`` (escaped text) has no character that Jira could read as markup."""
    bare = _ESCAPE.sub("", _REFERENCE.sub("", wiki))
    assert not re.search(r"[!^~+?%{}()*_\-@#\[\]|\\&]", bare), wiki


def test_oracle_catches_markup() -> None:
    for markup in ("*b*", "[~admin]", "!x.png!", "{noformat}", "a|b", "x\\\\y", "&copy;"):
        with pytest.raises(AssertionError):
            assert_inert(markup)
    assert_inert("\\*b\\* &#91;x&#93; &amp;copy;")


@pytest.mark.parametrize(
    ("source", "wiki"),
    [
        ("# Title", "h1. Title"),
        ("###### Six *em*", "h6. Six _em_"),
        ("**b** *i* _i_ ~~s~~ `c`", "*b* _i_ _i_ -s- {{c}}"),
        ("***bi***", "*_bi_*"),
        ("**a **b** c**", "*a b c*"),  # nested bold would end the outer bold early
        ("[docs](https://x.test/a_b)", "[docs|https://x.test/a_b]"),
        ("[**b**](https://x.test)", "[*b*|https://x.test]"),
        ("https://x.test/p.", "[https://x.test/p]."),
        ("<mailto:a@b.test>", "[mailto:a@b.test]"),
        ("[t](https://x.test/a|b]c!d^e{f})", "[t|https://x.test/a%7Cb%5Dc%21d%5Ee%7Bf%7D]"),
        ("[t](https://x.test/ü)", "[t|https://x.test/%C3%BC]"),
        ("one\ntwo", "one\ntwo"),
        ("a\n\nb", "a\n\nb"),
        ("---", "----"),
        ("- a\n- b\n  - c\n  1. d\n\n1. e", "* a\n* b\n** c\n*# d\n\n# e"),
        ("- a\n  more", "* a \\\\ more"),
        ("```python\nx = {1: [2]}\n```", "{code:python}\nx = {1: [2]}\n{code}"),
        ("```js\nx\n```", "{code:javascript}\nx\n{code}"),
        ("```brainfuck\n+\n```", "{code}\n+\n{code}"),  # Jira would show an error box
        ("```\n```", "{code}\n\n{code}"),
        ("> q\n> - i", "{quote}\nq\n\n* i\n{quote}"),
        ("| h | i |\n|---|---|\n| 1 |\n| a\\|b | c |", "||h||i||\n|1| |\n|a&#124;b|c|"),
        ("{status:green}Deployed{/status}", "{color:#00875A}*&#91;Deployed&#93;*{color}"),
        ("{status}Queued{/status}", "*&#91;Queued&#93;*"),
        ("**{status:red}Failed{/status}**", "*{color:#DE350B}&#91;Failed&#93;{color}*"),
        ("", ""),
    ],
)
def test_constructs(source: str, wiki: str) -> None:
    assert to_wiki(source) == wiki


@pytest.mark.parametrize(
    ("text", "wiki"),
    [
        ("{noformat}", "\\{noformat\\}"),
        ("[~admin]", "&#91;\\~admin&#93;"),
        ("!http://evil/img.png!", "\\!http://evil/img.png\\!"),
        ("{{mono}} ??cite?? +ins+ ^sup^ ~sub~ -del-", None),
        ("a\\\\b", "a&#92;&#92;b"),  # two backslashes are a line break in wiki markup
        ("&copy; &#169;", "&amp;copy; &amp;\\#169;"),
        ("smile :D :P :) (y) (/)", "smile &#58;D &#58;P :\\) \\(y\\) \\(/\\)"),
        ("h1. title", "h1&#46; title"),
        ("a\nh6. b", "a\nh6&#46; b"),
        ("  bq. b", "  bq&#46; b"),
        ("bq. quote", "bq&#46; quote"),
        ("| cell || header |", "&#124; cell &#124;&#124; header &#124;"),
        ("* not a list", "\\* not a list"),
        ("# not a list", "\\# not a list"),
        ("---- not a rule", "\\-\\-\\-\\- not a rule"),
        ("{color:red}x{color}", "\\{color:red\\}x\\{color\\}"),
        ("[x|javascript:alert(1)]", "&#91;x&#124;javascript:alert\\(1\\)&#93;"),
    ],
)
def test_escape(text: str, wiki: str | None) -> None:
    escaped = escape(text)
    if wiki is not None:
        assert escaped == wiki
    assert_inert(escaped)
    assert rendered_text(escaped) == text


@pytest.mark.parametrize(
    "text",
    [
        "{noformat}\nh1. heading\n[~admin] !http://evil/img.png! {code}x{code}",
        "line\nh2. second line heading\nbq. quote\n* list\n# list\n|| table ||\n----",
        "[x](javascript:alert(1)) <javascript:alert(1)> {status:red}X{/status}",
        "\\\\ \\* \\{ & &amp; &#x26;",
        "😀 部署成功 \u202e",
    ],
)
def test_hostile_text_through_markdown_escape_stays_text(text: str) -> None:
    wiki = to_wiki(markdown_escape(text))
    assert_inert(wiki.replace("\n", " "))
    assert rendered_text(wiki) == text


def test_unescaped_hostile_markdown_cannot_embed_or_mention() -> None:
    wiki = to_wiki("![img](http://evil/x.png) [~admin] {noformat} !http://evil/img.png!")
    assert "[~" not in wiki and "{noformat}" not in wiki
    assert not re.search(r"(?<!\\)!", wiki)  # no image embed can open


def test_a_heading_inside_a_paragraph_line_cannot_start_one() -> None:
    assert to_wiki("text\nh3. sneaky") == "text\nh3&#46; sneaky"


def test_code_block_terminators_inside_code_stay_inside() -> None:
    assert to_wiki("```\nend {code} here\n```") == "{noformat}\nend {code} here\n{noformat}"
    both = to_wiki("```\n{code} {noformat}\n```")
    assert both == "{noformat}\n{code} {\u200bnoformat}\n{noformat}"
    quoted = to_wiki("> ```\n> {quote}\n> ```")
    assert quoted == "{quote}\n{code}\n{\u200bquote}\n{code}\n{quote}"


def test_code_block_content_is_not_escaped() -> None:
    assert to_wiki("```\n*a* [b] \\c\n```") == "{code}\n*a* [b] \\c\n{code}"


def test_control_characters_and_java_line_separators() -> None:
    # Java's regexes start a line after U+2028: it must not start a heading there.
    assert to_wiki("a\x00b\u2028h1. x") == "ab\nh1&#46; x"


# ---- size --------------------------------------------------------------------------------


def test_small_bodies_are_not_cut() -> None:
    assert TRUNCATED[2:] not in rendered_text(to_wiki("x" * 30_000))


@pytest.mark.parametrize(
    "source",
    [
        "\n\n".join(f"paragraph {n} *x*" for n in range(5000)),
        "y" * 40_000,
        "-" * 20_000 + "x",  # every character doubles when escaped
        "😀" * 20_000,
        "```\n" + "line\n" * 10_000 + "```",
        "\n".join(f"- item {n}" for n in range(10_000)),
        "| a |\n|---|\n" + "| b |\n" * 10_000,
    ],
    ids=["paragraphs", "paragraph", "escapes", "emoji", "code", "list", "table"],
)
def test_long_bodies_are_cut_to_the_limit_with_a_note(source: str) -> None:
    wiki = to_wiki(source)
    assert MAX_BODY_CHARS - 200 < utf16_length(wiki) <= MAX_BODY_CHARS
    assert rendered_text(wiki).endswith(TRUNCATED)


def test_a_cut_code_block_is_still_closed() -> None:
    wiki = to_wiki("```\n" + "line\n" * 10_000 + "```")
    assert wiki.startswith("{code}\n") and wiki.count("{code}") == 2


# -- properties (hypothesis; strategies in strategies.py) ----------------------------------


@SETTINGS
@given(anything)
def test_escaped_text_is_inert_wiki_text(text: str) -> None:
    line = one_line(text)
    wiki = to_wiki(markdown_escape(text))
    assert_inert(wiki)
    assert rendered_text(wiki) == line
