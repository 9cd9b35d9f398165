"""Markdown to ADF: every construct, and every output valid against Atlassian's schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from jsonschema.validators import validator_for

from cibridge.jira.adf import to_adf
from cibridge.jira.inline import escape
from cibridge.jira.sizing import MAX_BODY_CHARS, TRUNCATED, utf16_length
from tests.conftest import FIXTURES, REPO
from tests.jira.strategies import SCHEMA_SETTINGS, SETTINGS, anything, one_line

SCHEMA_FILE = FIXTURES / "specs" / "adf-v1-full.schema.json"
# The published schema lives in ../shared/specs beside every checkout in CI; a copy is
# kept in the fixtures so the suite runs from a lone clone.
SHARED_SCHEMA = REPO.parent / "shared" / "specs" / SCHEMA_FILE.name
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = validator_for(SCHEMA)(SCHEMA)


def valid(doc: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors)
    return doc


def body(markdown: str) -> list[dict[str, Any]]:
    """The doc's content, after checking the whole doc against the schema."""
    doc = valid(to_adf(markdown))
    assert doc["type"] == "doc" and doc["version"] == 1
    content: list[dict[str, Any]] = doc["content"]
    return content


def text(value: str, *marks: str, href: str = "") -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    all_marks: list[dict[str, Any]] = [{"type": mark} for mark in marks]
    if href:
        all_marks.append({"type": "link", "attrs": {"href": href}})
    if all_marks:
        node["marks"] = all_marks
    return node


def paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def plain(doc_content: list[dict[str, Any]]) -> str:
    """The text a reader sees, blocks separated by blank lines."""

    def walk(node: dict[str, Any]) -> str:
        if node["type"] == "text":
            return str(node["text"])
        if node["type"] == "hardBreak":
            return "\n"
        if node["type"] == "status":
            return str(node["attrs"]["text"])
        return "".join(walk(child) for child in node.get("content", []))

    return "\n\n".join(walk(node) for node in doc_content)


# ---- the oracle itself -------------------------------------------------------------------


def test_schema_copy_matches_the_shared_spec() -> None:
    if SHARED_SCHEMA.is_file():  # beside every checkout in CI; a lone clone has only the copy
        assert SCHEMA_FILE.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_schema_is_draft_4_and_the_validator_rejects_what_jira_rejects() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert isinstance(VALIDATOR, Draft4Validator)
    Draft4Validator.check_schema(SCHEMA)
    doc = {"type": "doc", "version": 1}
    bad = [
        [paragraph(text(""))],  # empty text
        [paragraph(text("x", "code", "strong"))],  # code with another mark
        [{"type": "bulletList", "content": []}],  # a list with no items
        [{"type": "blockquote", "content": [{"type": "rule"}]}],
        [{"type": "heading", "attrs": {"level": 7}}],
        [paragraph({"type": "status", "attrs": {"text": "x", "color": "pink"}})],
    ]
    for content in bad:
        assert not VALIDATOR.is_valid({**doc, "content": content}), content
    assert VALIDATOR.is_valid({**doc, "content": [paragraph(text("x", "code"))]})


# ---- constructs ---------------------------------------------------------------------------


def test_empty_input_is_an_empty_doc() -> None:
    assert body("") == []
    assert body(" \n\n\t\n") == []


def test_paragraphs_and_line_breaks() -> None:
    assert body("one\ntwo  \nthree\n\nfour") == [
        paragraph(
            text("one"), {"type": "hardBreak"}, text("two"), {"type": "hardBreak"}, text("three")
        ),
        paragraph(text("four")),
    ]


@pytest.mark.parametrize("level", range(1, 7))
def test_headings(level: int) -> None:
    assert body("#" * level + " Deploy *now*") == [
        {
            "type": "heading",
            "attrs": {"level": level},
            "content": [text("Deploy "), text("now", "em")],
        }
    ]


def test_marks() -> None:
    assert body("**b** *i* ~~s~~ `c` ***bi***") == [
        paragraph(
            text("b", "strong"),
            text(" "),
            text("i", "em"),
            text(" "),
            text("s", "strike"),
            text(" "),
            text("c", "code"),
            text(" "),
            text("bi", "strong", "em"),
        )
    ]


def test_code_inside_bold_or_link_keeps_only_marks_the_schema_allows() -> None:
    assert body("**a `c`** [`l`](https://x.test)") == [
        paragraph(
            text("a ", "strong"),
            text("c", "code"),
            text(" "),
            text("l", "code", href="https://x.test"),
        )
    ]


def test_links() -> None:
    assert body("[docs **here**](https://x.test/d) https://y.test/p, <mailto:a@b.test>") == [
        paragraph(
            text("docs ", href="https://x.test/d"),
            text("here", "strong", href="https://x.test/d"),
            text(" "),
            text("https://y.test/p", href="https://y.test/p"),
            text(", "),
            text("mailto:a@b.test", href="mailto:a@b.test"),
        )
    ]


@pytest.mark.parametrize(
    "source",
    ["[x](javascript:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](file:///etc)"],
)
def test_links_to_other_schemes_are_text(source: str) -> None:
    assert body(source) == [paragraph(text(source))]


def test_lists() -> None:
    nested = {
        "type": "orderedList",
        "content": [{"type": "listItem", "content": [paragraph(text("n"))]}],
    }
    assert body("- a\n  1. n\n- b\n\n5. five") == [
        {
            "type": "bulletList",
            "content": [
                {"type": "listItem", "content": [paragraph(text("a")), nested]},
                {"type": "listItem", "content": [paragraph(text("b"))]},
            ],
        },
        {
            "type": "orderedList",
            "attrs": {"order": 5},
            "content": [{"type": "listItem", "content": [paragraph(text("five"))]}],
        },
    ]


def test_code_blocks() -> None:
    assert body("```yaml\nkey: 'v'\n\n  nested: 1\n```\n~~~\n~~~") == [
        {
            "type": "codeBlock",
            "attrs": {"language": "yaml"},
            "content": [text("key: 'v'\n\n  nested: 1")],
        },
        {"type": "codeBlock"},  # empty: no empty text node
    ]


def test_quote_rule_and_table() -> None:
    assert body("> said *this*\n> ```\n> code\n> ```\n\n---\n\n| h | i |\n|---|---|\n| 1 |") == [
        {
            "type": "blockquote",
            "content": [
                paragraph(text("said "), text("this", "em")),
                {"type": "codeBlock", "content": [text("code")]},
            ],
        },
        {"type": "rule"},
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableHeader", "content": [paragraph(text("h"))]},
                        {"type": "tableHeader", "content": [paragraph(text("i"))]},
                    ],
                },
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableCell", "content": [paragraph(text("1"))]},
                        {"type": "tableCell", "content": [{"type": "paragraph"}]},
                    ],
                },
            ],
        },
    ]


@pytest.mark.parametrize("color", ["neutral", "purple", "blue", "red", "yellow", "green"])
def test_status_lozenges(color: str) -> None:
    assert body(f"**Prod:** {{status:{color}}}Deployed{{/status}}") == [
        paragraph(
            text("Prod:", "strong"),
            text(" "),
            {"type": "status", "attrs": {"text": "Deployed", "color": color}},
        )
    ]


def test_a_status_inside_bold_or_a_link_carries_no_marks() -> None:
    content = body("**{status:green}OK{/status}**")
    assert content == [paragraph({"type": "status", "attrs": {"text": "OK", "color": "green"}})]


def test_escaped_values_stay_text() -> None:
    value = "**not bold** [x](https://e.test) {status:red}X{/status} `c` # h\n- item"
    assert plain(body(escape(value))) == value


def test_the_built_in_comment_template_shape() -> None:
    content = body(
        "**Deployed → production**: success\n\n- Environment: production\n- Version: 1.4.2\n"
        "- Pipeline: [CI #42](https://ci.example.com/runs/42?a=1&b=2)\n"
    )
    assert content[0] == paragraph(text("Deployed → production", "strong"), text(": success"))
    pipeline = content[1]["content"][2]["content"][0]["content"]
    assert pipeline == [
        text("Pipeline: "),
        text("CI #42", href="https://ci.example.com/runs/42?a=1&b=2"),
    ]


# ---- hostile input ----------------------------------------------------------------------

HOSTILE = [
    "**a",
    "*a **b* c**",
    "[[[x]]](https://x.test)",
    "[x](javascript:alert(1))",
    '[x](https://x.test "title")',
    "`",
    "``` ",
    "|",
    "| a |\n|---|\n|",
    "- \n-\n- x",
    "> \n>\n> > >",
    "{status:green}{status:red}x{/status}{/status}",
    "{status:green}" + "x" * 5000 + "{/status}",
    "\x00\x01\x1b[31mred\x1b[0m\x7f\x9b",
    "emoji 😀👍🏽👨‍👩‍👧 and CJK 部署成功 한국어 日本語",
    "\u202eRTL override\u200b\ufeff",
    "\ud83d lone surrogate",
    "*" * 1000,
    "[" * 1000 + "]" * 1000,
    "`" * 999,
    "<" * 500 + "https://x.test" + ">" * 500,
    "_a_b_c_ __d__e__",
    "#" * 10 + " x",
    "   # indented heading",
    "1. a\n   - b\n      - c\n         - d",
    "~~~~\n```\n~~~~",
    "\t- tab list\n\t\t- nested tab",
]


@pytest.mark.parametrize("source", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_gives_valid_adf(source: str) -> None:
    body(source)


def test_control_characters_are_removed_and_unicode_kept() -> None:
    assert plain(body("a\x00b\x1bc 😀 部署")) == "abc 😀 部署"


# ---- size --------------------------------------------------------------------------------


def size(doc: dict[str, Any]) -> int:
    return utf16_length(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def test_small_bodies_are_not_cut() -> None:
    assert TRUNCATED not in plain(body("x" * 20_000))


def test_many_blocks_keep_whole_blocks_then_the_note() -> None:
    paragraphs = [f"paragraph {n} " + "y" * 100 for n in range(1000)]
    doc = valid(to_adf("\n\n".join(paragraphs)))
    kept = doc["content"][:-1]
    assert MAX_BODY_CHARS - 200 < size(doc) <= MAX_BODY_CHARS
    assert plain(doc["content"][-1:]) == TRUNCATED
    assert [plain([node]) for node in kept[:-1]] == paragraphs[: len(kept) - 1]
    assert paragraphs[len(kept) - 1].startswith(plain(kept[-1:]))  # the last one may be cut


@pytest.mark.parametrize(
    "source",
    [
        "z" * 50_000,  # one paragraph, cut inside
        "```\n" + "code line\n" * 5000 + "```",  # one code block, cut inside
        "😀" * 20_000,  # counted as Java counts: two units each
        '"\\' * 20_000,  # characters JSON escapes
    ],
    ids=["paragraph", "code", "emoji", "json-escapes"],
)
def test_one_huge_block_is_cut_inside(source: str) -> None:
    doc = valid(to_adf(source))
    assert MAX_BODY_CHARS - 200 < size(doc) <= MAX_BODY_CHARS
    assert plain(doc["content"][-1:]) == TRUNCATED


def test_ten_thousand_lines_are_cut_between_list_items() -> None:
    lines = [f"- item {n} **bold** `code` https://x.test/{n}" for n in range(10_000)]
    doc = valid(to_adf("\n".join(lines)))
    assert MAX_BODY_CHARS - 300 < size(doc) <= MAX_BODY_CHARS
    items = doc["content"][0]["content"]
    assert 50 < len(items) < 10_000
    assert plain(items[-1:]) == f"item {len(items) - 1} bold code https://x.test/{len(items) - 1}"
    assert plain(doc["content"][-1:]) == TRUNCATED


def test_a_source_too_long_to_parse_is_cut_and_says_so() -> None:
    content = body("\n" * 250_000 + "tail")
    assert plain(content) == TRUNCATED


# -- properties (hypothesis; strategies in strategies.py) ----------------------------------


@SCHEMA_SETTINGS
@given(anything)
def test_any_text_becomes_schema_valid_adf(text: str) -> None:
    valid(to_adf(text))


@SCHEMA_SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                "# h",
                "- a",
                "  - b",
                "1. c",
                "> q",
                "```",
                "---",
                "| x |",
                "|---|",
                "",
                "**b",
                "text",
                "{status:red}X{/status}",
            ]
        ),
        max_size=30,
    )
)
def test_any_arrangement_of_block_markers_is_schema_valid(lines: list[str]) -> None:
    valid(to_adf("\n".join(lines)))


@SETTINGS
@given(anything)
def test_escaped_text_is_the_adf_text(text: str) -> None:
    line = one_line(text)
    doc: dict[str, Any] = valid(to_adf(escape(text)))
    assert plain(doc["content"]) == line
