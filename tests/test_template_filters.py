from __future__ import annotations

import pytest

from cibridge.template_filters import duration, markdown, mrkdwn, one_line, truncate_chars


def test_mrkdwn_escapes_control_characters_only() -> None:
    assert (
        mrkdwn("<!here> & <https://x|y> *bold*") == "&lt;!here&gt; &amp; &lt;https://x|y&gt; *bold*"
    )


def test_markdown_escapes_markup_but_not_plain_punctuation() -> None:
    assert markdown("v1.4.2 on 2026-11-27: *b* _i_ [l](u) `c` <x>") == (
        "v1.4.2 on 2026-11-27: \\*b\\* \\_i\\_ \\[l\\](u) \\`c\\` \\<x\\>"
    )
    assert markdown("# title\n- item\n 2. two") == "\\# title\n\\- item\n 2\\. two"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (5, "5s"), (65, "1m 5s"), (3725, "1h 2m 5s"), ("90", "1m 30s")],
)
def test_duration(seconds: object, text: str) -> None:
    assert duration(seconds) == text


def test_one_line_and_truncate() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert truncate_chars("abcdef", 4) == "abc…"
    assert truncate_chars("abc", 4) == "abc"
