from __future__ import annotations

import pytest

from cibridge.core.untrusted import excerpt, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("v9.9.9\r::error::x", "v9.9.9\\x0d::error::x"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]8;;https://evil\x07link", "\\x1b]8;;https://evil\\x07link"),
        ("section_start:123:x\r\x1b[0K", "section_start:123:x\\x0d\\x1b[0K"),
        ("nul\x00del\x7fc1\x9b", "nul\\x00del\\x7fc1\\x9b"),
        ("a\u2028::error::b", "a\\u2028::error::b"),
    ],
)
def test_printable_shows_every_control_as_an_escape(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_line_feeds_and_ordinary_text() -> None:
    assert printable("one\ntwo ünïcode 100%") == "one\ntwo ünïcode 100%"


def test_excerpt_is_one_line() -> None:
    assert excerpt("a\r::error::b\n\x1bc") == "a ::error::b c"


@pytest.mark.parametrize("limit", [60, 200, 300, 500])
def test_an_excerpt_masks_a_secret_before_the_cut_would_split_it(limit: int) -> None:
    from cibridge.core import redact

    secret = "ATATT3xFfGF0kLmNoPqRsTuVwXyZ012345"
    redact.register(secret)
    text = "x" * (limit - 14) + secret + " and the rest"
    shown = redact.redact(excerpt(text, limit))
    assert not any(secret[i : i + 8] in shown for i in range(len(secret) - 7)), shown
