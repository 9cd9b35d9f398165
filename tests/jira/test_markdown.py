"""The Markdown subset's parser: the decisions both renderers inherit."""

from __future__ import annotations

import time

import pytest

from cibridge.jira.adf import to_adf
from cibridge.jira.inline import Break, Code, Link, Status, Styled, Text, escape, inlines
from cibridge.jira.markdown import (
    MAX_SOURCE_CHARS,
    CodeBlock,
    Heading,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    Rule,
    Table,
    clean,
    parse,
)
from cibridge.jira.sizing import utf16_length
from cibridge.jira.wiki import to_wiki


def strong(*children: object) -> Styled:
    return Styled("strong", tuple(children))  # type: ignore[arg-type]


def em(*children: object) -> Styled:
    return Styled("em", tuple(children))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        (
            "**b** *i* _i_ __b__ ~~s~~",
            (
                strong(Text("b")),
                Text(" "),
                em(Text("i")),
                Text(" "),
                em(Text("i")),
                Text(" "),
                strong(Text("b")),
                Text(" "),
                Styled("strike", (Text("s"),)),
            ),
        ),
        ("***both***", (strong(em(Text("both"))),)),
        ("**a *b* c**", (strong(Text("a "), em(Text("b")), Text(" c")),)),
        ("`a **b**`", (Code("a **b**"),)),
        ("`` a`b ``", (Code("a`b"),)),
        ("a\nb", (Text("a"), Break(), Text("b"))),
        ("{status:Green}Deployed{/status}", (Status("Deployed", "green"),)),
        ("{status}Queued{/status}", (Status("Queued", "neutral"),)),
        ("[docs](https://x.test/a_(b))", (Link("https://x.test/a_(b)", (Text("docs"),)),)),
        ("[**b**](https://x.test)", (Link("https://x.test", (strong(Text("b")),)),)),
        ("[](https://x.test)", (Link("https://x.test", (Text("https://x.test"),)),)),
        ("<mailto:a@b.test>", (Link("mailto:a@b.test", (Text("mailto:a@b.test"),)),)),
        (
            "see https://x.test/p?q=1.",
            (
                Text("see "),
                Link("https://x.test/p?q=1", (Text("https://x.test/p?q=1"),)),
                Text("."),
            ),
        ),
        (
            "(https://x.test/a)",
            (Text("("), Link("https://x.test/a", (Text("https://x.test/a"),)), Text(")")),
        ),
    ],
)
def test_inline_constructs(source: str, tree: tuple[object, ...]) -> None:
    assert inlines(source) == tree


@pytest.mark.parametrize(
    "source",
    [
        "**a",
        "a**",
        "** a**",
        "snake_case_name",
        "2 * 3 * 4",
        "****",
        "~strike~",
        "~~~x~~~",
        "`unclosed",
        "[text](javascript:alert(1))",
        "[text](data:text/html,x)",
        "[text](ftp://x.test)",
        "[text](mailto:nobody)",
        "[unclosed](mailto:a@b.test",
        "[[nested]](",
        "{status:pink}X{/status}",
        "{status:green}{/status}",
        "{status:green}X",
        "xhttps://x.test",
        "https://",
        "\\*not em\\*",
        "<javascript:alert(1)>",
    ],
)
def test_malformed_constructs_are_literal_text(source: str) -> None:
    tree = inlines(source)
    assert all(isinstance(node, Text) for node in tree), tree
    assert "".join(node.text for node in tree if isinstance(node, Text)) == source.replace(
        "\\*", "*"
    )


def test_a_refused_link_is_text_but_a_web_address_in_it_is_still_a_link() -> None:
    assert inlines("[x](https://x.test/a b)") == (
        Text("[x]("),
        Link("https://x.test/a", (Text("https://x.test/a"),)),
        Text(" b)"),
    )


def test_escape_makes_any_text_literal() -> None:
    hostile = "**b** _i_ `c` [l](https://x) {status:red}X{/status} <https://y> \\ ~~s~~"
    assert inlines(escape(hostile)) == (Text(hostile),)


def test_blocks() -> None:
    source = "\n".join(
        [
            "## Deploy ##",
            "first line",
            "second line",
            "",
            "- one",
            "- two",
            "  - nested",
            "    continued",
            "  1. ordered below",
            "- three",
            "",
            "3. three",
            "4) four",
            "",
            "```python extra words",
            "  x = 1",
            "```",
            "> quoted",
            "> - item",
            "***",
            "| a | b |",
            "|---|:-:|",
            "| 1 | 2 | 3 |",
            "| only |",
        ]
    )
    assert parse(source) == [
        Heading(2, (Text("Deploy"),)),
        Paragraph((Text("first line"), Break(), Text("second line"))),
        ListBlock(
            False,
            1,
            (
                ListItem((Text("one"),)),
                ListItem(
                    (Text("two"),),
                    (
                        ListBlock(
                            False, 1, (ListItem((Text("nested"), Break(), Text("continued"))),)
                        ),
                        ListBlock(True, 1, (ListItem((Text("ordered below"),)),)),
                    ),
                ),
                ListItem((Text("three"),)),
            ),
        ),
        ListBlock(True, 3, (ListItem((Text("three"),)), ListItem((Text("four"),)))),
        CodeBlock("python", "  x = 1"),
        Quote((Paragraph((Text("quoted"),)), ListBlock(False, 1, (ListItem((Text("item"),)),)))),
        Rule(),
        Table(
            ((Text("a"),), (Text("b"),)),
            (((Text("1"),), (Text("2"),)), ((Text("only"),), ())),
        ),
    ]


@pytest.mark.parametrize(
    ("source", "blocks"),
    [
        ("#hashtag", [Paragraph((Text("#hashtag"),))]),
        ("####### seven", [Paragraph((Text("####### seven"),))]),
        ("# C#", [Heading(1, (Text("C#"),))]),
        ("-no space", [Paragraph((Text("-no space"),))]),
        ("2024. was a year", [ListBlock(True, 2024, (ListItem((Text("was a year"),)),))]),
        ("| not | a table |", [Paragraph((Text("| not | a table |"),))]),
        ("| a | b |\n|---|", [Paragraph((Text("| a | b |"), Break(), Text("|---|")))]),
        ("> # heading in a quote", [Quote((Paragraph((Text("# heading in a quote"),)),))]),
        ("> > nested quote", [Quote((Paragraph((Text("> nested quote"),)),))]),
        ("> ---", [Quote((Paragraph((Text("---"),)),))]),
        (">", []),
        ("text\n---", [Paragraph((Text("text"),)), Rule()]),  # no setext headings
        ("    indented", [Paragraph((Text("indented"),))]),  # no indented code
        ("```\nunclosed\n\nfence", [CodeBlock("", "unclosed\n\nfence")]),
        ("~~~ not/a*lang\n```\n~~~", [CodeBlock("", "```")]),
        ("```\n```", [CodeBlock("", "")]),
        ("- a\n\n- b", [ListBlock(False, 1, (ListItem((Text("a"),)), ListItem((Text("b"),))))]),
        (
            "- a\n1. b",
            [
                ListBlock(False, 1, (ListItem((Text("a"),)),)),
                ListBlock(True, 1, (ListItem((Text("b"),)),)),
            ],
        ),
        (
            "- a\nnot indented",
            [ListBlock(False, 1, (ListItem((Text("a"),)),)), Paragraph((Text("not indented"),))],
        ),
        ("line one\\\nline two", [Paragraph((Text("line one"), Break(), Text("line two")))]),
    ],
)
def test_block_decisions(source: str, blocks: list[object]) -> None:
    assert parse(source) == blocks


def test_clean_removes_controls_and_normalises_line_separators() -> None:
    text, cut = clean("a\x00b\x1bc\r\nd\re\u2028f\x85g\ud800h\t")
    assert (text, cut) == ("abc\nd\ne\nf\ng" + "h\t", False)


def test_clean_cuts_huge_sources() -> None:
    text, cut = clean("x" * (MAX_SOURCE_CHARS + 1))
    assert cut and len(text) == MAX_SOURCE_CHARS


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("a中😀") == 4


# Each of these once took quadratic time (126 s for 20,000 "[" characters); now each takes
# well under a second at this size, so the bound only trips on a quadratic path.
QUADRATIC_ONCE = {
    "unclosed brackets": "[" * 50_000,
    "links without targets": "[a](" * 12_500,
    "openers of another kind": "*a " * 8_000 + "b_ " * 8_000,
    "backtick runs of every length": "".join("`" * n + " x " for n in range(1, 300)),
    "unbalanced parentheses in a URL": "https://x.test/" + ")" * 50_000,
    "runs merged into one text": "**a**__b__" * 5_000,
}


@pytest.mark.parametrize("source", QUADRATIC_ONCE.values(), ids=QUADRATIC_ONCE.keys())
def test_hostile_input_takes_linear_time(source: str) -> None:
    started = time.perf_counter()
    to_adf(source)
    to_wiki(source)
    assert time.perf_counter() - started < 10
