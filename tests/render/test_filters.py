from __future__ import annotations

import pytest

from cibridge.render.filters import (
    URL_MAX_LENGTH,
    duration,
    markdown,
    markdown_url,
    mrkdwn,
    one_line,
    safe_url,
    slack_url,
    truncate_chars,
    web_url,
)


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


ORDINARY = "https://ci.example/acme/app/-/jobs/42?tab=log&x=1#L3"


@pytest.mark.parametrize("url_filter", [safe_url, markdown_url])
def test_ordinary_urls_pass_unchanged(url_filter: object) -> None:
    assert url_filter(ORDINARY) == ORDINARY  # type: ignore[operator]
    assert url_filter("HTTP://Example.com/ü/ä?q=%20") == "HTTP://Example.com/ü/ä?q=%20"  # type: ignore[operator]


def test_slack_url_keeps_the_url_and_escapes_ampersand_as_slack_decodes_it() -> None:
    assert slack_url(ORDINARY) == ORDINARY.replace("&", "&amp;")


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript://%0aalert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "vbscript:x",
        "//evil.example/x",
        "/relative/path",
        "evil.example",
        "https://",
        "https:///path-without-host",
        "https:\\\\evil.example",
        "ht\ntps://evil.example",
        "",
        None,
    ],
)
def test_non_web_urls_are_refused(value: object) -> None:
    assert safe_url(value) == ""
    assert slack_url(value) == ""
    assert markdown_url(value) == ""
    assert not web_url(value)


def test_slack_url_cannot_close_the_link_or_add_one() -> None:
    hostile = "https://a> <!channel> <https://evil|click>"
    result = slack_url(hostile)
    assert result == "https://a%3E%20%3C!channel%3E%20%3Chttps://evil%7Cclick%3E"
    assert not set(result) & set("<>| \n")


def test_markdown_url_cannot_close_the_link() -> None:
    hostile = "https://a/x) [click](https://evil) <b>\\"
    result = markdown_url(hostile)
    assert result == "https://a/x%29%20[click]%28https://evil%29%20%3Cb%3E%5C"
    assert not set(result) & set("()<> \\")


@pytest.mark.parametrize(
    ("char", "encoded"),
    [
        ("\n", "%0A"),
        ("\r", "%0D"),
        ("\x00", "%00"),
        ("\x7f", "%7F"),
        ("\u202e", "%E2%80%AE"),  # right-to-left override: hides where a link goes
        ("\u2028", "%E2%80%A8"),
        ("\u00a0", "%C2%A0"),
        ('"', "%22"),
        ("`", "%60"),
    ],
)
def test_control_and_invisible_characters_are_percent_encoded(char: str, encoded: str) -> None:
    for url_filter in (safe_url, slack_url, markdown_url):
        assert url_filter(f"https://h/a{char}b") == f"https://h/a{encoded}b"


def test_surrounding_whitespace_is_dropped() -> None:
    assert safe_url("  https://h/x \n") == "https://h/x"


def test_long_urls_are_dropped_not_cut() -> None:
    base = "https://h/"
    fits = base + "a" * (URL_MAX_LENGTH - len(base))
    assert safe_url(fits) == fits
    assert safe_url(fits + "a") == ""
    # the limit applies to what is sent, after encoding
    spaces = " " * ((URL_MAX_LENGTH - len(base)) // 3 + 1)
    assert len(base + spaces + "y") <= URL_MAX_LENGTH
    assert safe_url(base + spaces + "y") == ""
    assert markdown_url(fits + "a", max_length=URL_MAX_LENGTH + 1) == fits + "a"


def test_web_url_test_matches_safe_url() -> None:
    assert web_url("https://h/x")
    assert not web_url("mailto:a@b")


def test_mattermost_text_keeps_every_at_inert_and_a_configured_name_pings() -> None:
    from cibridge.render.filters import mattermost, mattermost_mention, mattermost_plain

    assert mattermost("@channel *b*") == "@\u2060channel \\*b\\*"
    assert mattermost_plain("a@b @here") == "a@\u2060b @\u2060here"
    assert mattermost_mention("Mona.Lisa <@x>") == "mona.lisax"
