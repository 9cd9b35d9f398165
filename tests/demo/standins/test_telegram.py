"""The Telegram stand-in parses entities as the Bot API does: HTML's tags, attributes and
entities, MarkdownV2's reserved characters, escapes, entities and links, each refusal in
Telegram's words. (What cibridge sends through it is in tests/notify/providers.)"""

from __future__ import annotations

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.telegram_parse import ParseError, parse_html, parse_markdown_v2
from tests.demo.standins.client import send

_BOT = f"/telegram/bot{standins.TELEGRAM_TOKEN}"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a < b > c", 'Unsupported start tag "" at byte offset 2'),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("<code><b>x</b></code>", "Can't nest entities inside code"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_the_html_parser_refuses_what_telegram_refuses(text: str, error: str) -> None:
    with pytest.raises(ParseError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_html(text)


def test_the_html_parser_reads_entities_and_tags_as_telegram_does() -> None:
    text = '<b>a</b> &lt;&gt;&amp;&quot;&#128512;&#x1F600; &nbsp; <a href="https://e">l</a><pre><code class="language-py">x</code></pre><tg-spoiler>s</tg-spoiler>'
    assert parse_html(text) == 'a <>&"😀😀 &nbsp; lxs'


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1.5", "Character '.' is reserved"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("[x](https://e", "Can't find end of a URL"),
        ("a `code", "Can't find end of Code entity"),
    ],
)
def test_the_markdown_parser_refuses_what_telegram_refuses(text: str, error: str) -> None:
    with pytest.raises(ParseError, match=error.replace("(", r"\(").replace(".", r"\.")):
        parse_markdown_v2(text)


def test_the_markdown_parser_reads_escapes_entities_and_links() -> None:
    text = "*b* _i_ __u__ ~s~ ||p|| `c\\`` [l](https://e/\\)) \\. \\!\n> quote"
    assert parse_markdown_v2(text) == "b i u s p c` l . !\n quote"


def test_the_api_answers_as_telegram_does(stand_ins: StandIns) -> None:
    chat = standins.TELEGRAM_CHAT
    unknown = send(stand_ins.base, f"{_BOT}/getUpdates", {})
    empty = send(stand_ins.base, f"{_BOT}/sendMessage", {"chat_id": chat, "text": " "})
    markup_only = send(
        stand_ins.base,
        f"{_BOT}/sendMessage",
        {"chat_id": chat, "text": "<b></b>", "parse_mode": "HTML"},
    )
    too_long = send(stand_ins.base, f"{_BOT}/sendMessage", {"chat_id": chat, "text": "😀" * 2049})
    assert unknown.json == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert empty.json["description"] == "Bad Request: message text is empty"
    assert markup_only.json["description"] == "Bad Request: message text is empty"
    assert (too_long.status, too_long.json["description"]) == (
        400,
        "Bad Request: message is too long",
    )
    sent = send(stand_ins.base, f"{_BOT}/sendMessage", {"chat_id": chat, "text": "😀" * 2048})
    assert sent.status == 200 and sent.json["ok"] is True  # 4,096 UTF-16 units exactly


def test_flood_control_says_its_wait_in_the_body_only(stand_ins: StandIns) -> None:
    stand_ins.behaviour.telegram_rate_limited = 1
    limited = send(
        stand_ins.base, f"{_BOT}/sendMessage", {"chat_id": standins.TELEGRAM_CHAT, "text": "x"}
    )
    assert limited.status == 429 and "Retry-After" not in limited.headers
    assert limited.json["parameters"] == {"retry_after": 1}
