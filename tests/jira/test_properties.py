"""Property-based tests (hypothesis) for keys, ADF and wiki markup."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cibridge.clients.jira.keys import _NOT_PROJECTS, find_keys
from cibridge.jira.adf import to_adf
from cibridge.jira.inline import escape
from cibridge.jira.markdown import clean
from cibridge.jira.wiki import to_wiki

from .test_adf import plain, valid
from .test_wiki import assert_inert, rendered_text

# No example database: the suite writes nothing into the checkout.
SETTINGS = settings(max_examples=300, deadline=None, database=None, derandomize=True)
# jsonschema spends ~70 ms on a document against ADF's wide anyOf; to_adf itself ~1 ms.
SCHEMA_SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True)

projects = st.from_regex(r"[A-Z][A-Z0-9_]{1,9}", fullmatch=True).filter(
    lambda p: p not in _NOT_PROJECTS
)
numbers = st.integers(min_value=1, max_value=9_999_999)
keys = st.builds(lambda p, n: f"{p}-{n}", projects, numbers)
before = st.sampled_from([" ", "\n", "\t", "(", "[", "{", "/", ":", "#", ",", ";", '"', "'", "部"])
after = st.sampled_from(
    [" ", "\n", ")", "]", "}", "/", ":", ",", ";", '"', "'", ".", "!", "_", "的"]
)
glue = st.sampled_from(list("abcxyzABCXYZ0123456789_-é"))
# Text rich in the characters the parsers care about, plus anything unicode has.
FRAGMENTS = [*"*_~`[](){}<>|#-+.!:\\/ \n\t>1aZ", "https://x.test", "{status:red}", "{/status}"]
markup = st.lists(
    st.sampled_from([*FRAGMENTS, "😀", "中", "\x00", "\u2028", "**", "```", "- ", "1. "]),
    max_size=80,
).map("".join)
anything = st.one_of(markup, st.text(max_size=200))


@SETTINGS
@given(st.text(max_size=60), before, keys, after, st.text(max_size=60))
def test_a_key_between_boundaries_is_found(
    prefix: str, left: str, key: str, right: str, suffix: str
) -> None:
    assert key in find_keys(f"{prefix} {left}{key}{right} {suffix}")


@SETTINGS
@given(keys, glue)
def test_a_key_glued_after_a_word_character_is_not_that_key(key: str, char: str) -> None:
    assert key not in find_keys(f"see {char}{key} now")


@SETTINGS
@given(keys, st.sampled_from(list("abcXYZ0123456789é")))
def test_a_key_followed_by_a_letter_or_digit_is_not_that_key(key: str, char: str) -> None:
    assert key not in find_keys(f"see {key}{char} now")


@SETTINGS
@given(keys, st.booleans())
def test_case_does_not_matter_and_keys_come_back_upper_case(key: str, lower: bool) -> None:
    assert find_keys(f"fix {key.lower() if lower else key}") == [key]


@SETTINGS
@given(anything)
def test_every_key_found_is_well_formed_unique_and_in_the_text(text: str) -> None:
    found = find_keys(text)
    assert len(found) == len(set(found))
    for key in found:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{1,29}-[1-9][0-9]{0,6}", key)
        assert key in text.upper()


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


def _one_line(text: str) -> str:
    cleaned, _ = clean(text)
    assume("\n" not in cleaned)
    return cleaned.strip()


@SETTINGS
@given(anything)
def test_escaped_text_is_the_adf_text(text: str) -> None:
    line = _one_line(text)
    doc: dict[str, Any] = valid(to_adf(escape(text)))
    assert plain(doc["content"]) == line


@SETTINGS
@given(anything)
def test_escaped_text_is_inert_wiki_text(text: str) -> None:
    line = _one_line(text)
    wiki = to_wiki(escape(text))
    assert_inert(wiki)
    assert rendered_text(wiki) == line
