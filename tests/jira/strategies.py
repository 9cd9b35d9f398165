"""Hypothesis strategies and settings for the property-based tests of keys, ADF and wiki
markup (test_keys, test_adf, test_wiki)."""

from __future__ import annotations

from hypothesis import assume, settings
from hypothesis import strategies as st

from cibridge.clients.jira.keys import _NOT_PROJECTS
from cibridge.jira.markdown import clean

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


def one_line(text: str) -> str:
    cleaned, _ = clean(text)
    assume("\n" not in cleaned)
    return cleaned.strip()
