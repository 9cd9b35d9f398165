"""Filters templates use to keep data as data inside each provider's markup.

Text goes through the markup's own escaping (``mrkdwn`` for Slack, ``markdown`` for the
others). A URL needs more than that: it sits inside link syntax (``<url|text>``,
``[text](url)``) or in a button, so it is checked for a web scheme and every character that
could end the link early is percent-encoded. A URL that fails the check comes back as "",
so a template can test the filtered value and show plain text instead of a link.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"(?m)^(\s*)([#+\-=])|^(\s*\d+)([.)])")

# Only absolute web URLs become links: javascript:, data:, file: or a scheme-less value
# could run code or point somewhere the reader would not expect.
_WEB_URL = re.compile(r"(?i)https?://[^/?#\\\s]")
# Characters RFC 3986 never allows raw in a URL; encoding them changes no valid URL.
_URL_UNSAFE = frozenset(' "<>\\^`{|}')
_URL_PLAIN = re.compile(r"[!#-;=?-\[\]_a-z~]*")  # printable ASCII less the characters above
# Slack and Teams allow 3000 characters in a button URL; longer ones are rejected.
URL_MAX_LENGTH = 3000


def mrkdwn(value: Any) -> str:
    """Slack mrkdwn: only &, < and > are control characters (links, mentions)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown(value: Any) -> str:
    """Markdown (DingTalk, WeCom, Feishu, Teams): backslash-escape what would become markup."""
    text = _MD_INLINE.sub(r"\\\1", str(value))
    return _MD_LINE_START.sub(lambda m: f"{m[1] or m[3] or ''}\\{m[2] or m[4]}", text)


# Mattermost notifies for `@` followed by a letter or digit (its mention parser's rule) in a
# post's text, an attachment's pretext, text and field values: a word joiner after the `@`
# keeps `@channel`, `@all`, `@here` and `@someone` readable and inert. Mattermost has no
# allowed_mentions, so this is the only way text from a commit cannot ping.
_WORD_JOINER = "\u2060"


def mattermost_plain(value: Any) -> str:
    """Text Mattermost shows as is (titles, fallbacks), with every @mention made inert."""
    return str(value).replace("@", "@" + _WORD_JOINER)


def mattermost(value: Any) -> str:
    """Mattermost Markdown: escaped as Markdown, and every @mention made inert."""
    return mattermost_plain(markdown(value))


def mattermost_mention(value: Any) -> str:
    """A configured username as ``@name`` pings it: only the characters usernames have."""
    return re.sub(r"[^a-z0-9._-]", "", str(value).lower())


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _invisible(char: str) -> bool:
    # Control, format (bidi overrides) and separator characters can hide what a link says.
    return unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def safe_url(value: Any, max_length: int = URL_MAX_LENGTH, also: str = "") -> str:
    """An http(s) URL fit for a JSON URL field (a button), or "" when it is not one.

    Whitespace, control characters and the characters URLs never contain raw are
    percent-encoded, plus any in ``also``; a result over ``max_length`` is dropped rather
    than cut, since a cut URL leads somewhere else.
    """
    text = "" if value is None else str(value).strip()
    if not _WEB_URL.match(text):
        return ""
    if _URL_PLAIN.fullmatch(text) and not any(c in text for c in also):
        encoded = text  # the usual case, without a look at every character
    else:
        encoded = "".join(
            _percent(c) if c in _URL_UNSAFE or c in also or _invisible(c) else c for c in text
        )
    return encoded if len(encoded) <= max_length else ""


def slack_url(value: Any, max_length: int = URL_MAX_LENGTH) -> str:
    """The URL part of Slack's ``<url|text>``: nothing in it can close the link or add one."""
    # Slack decodes &amp; back to & in links, as in all mrkdwn text.
    return safe_url(value, max_length).replace("&", "&amp;")


def markdown_url(value: Any, max_length: int = URL_MAX_LENGTH) -> str:
    """The URL part of Markdown's ``[text](url)`` (DingTalk, Feishu, WeCom, Teams)."""
    return safe_url(value, max_length, also="()")


_TG_MARKDOWN = re.compile(r"([\\_*\[\]()~`>#+\-=|{}.!])")


def tg_html(value: Any) -> str:
    """Telegram's HTML: only <, > and & are special in text
    (core.telegram.org/bots/api#html-style)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tg_url(value: Any, max_length: int = URL_MAX_LENGTH) -> str:
    """A URL for Telegram's ``<a href="...">``: http(s) only, quotes and brackets encoded,
    & as &amp; (the attribute is HTML too)."""
    return safe_url(value, max_length).replace("&", "&amp;")


def tg_markdown(value: Any) -> str:
    """Telegram's MarkdownV2: a backslash before \\ and each of _*[]()~`>#+-=|{}.! - all
    of them, anywhere, or the message fails with "can't parse entities"."""
    return _TG_MARKDOWN.sub(r"\\\1", str(value))


def gchat_html(value: Any) -> str:
    """Google Chat card text: a small HTML subset (b, i, u, s, font, a, br); &, < and >
    escaped keep a value text."""
    return tg_html(value)


def gchat_text(value: Any) -> str:
    """Google Chat's plain ``text``: Chat documents no escape for its <url|label>,
    <users/123> and <users/all>, so < and > become the look-alikes ‹ and › and a commit
    message can neither link nor mention anyone there."""
    return str(value).replace("<", "‹").replace(">", "›")


def web_url(value: Any) -> bool:
    """Test: ``links | selectattr("url", "web_url")`` keeps the links ``safe_url`` accepts."""
    return bool(safe_url(value))


def one_line(value: Any) -> str:
    return " ".join(str(value).split())


def truncate_chars(value: Any, limit: int, marker: str = "…") -> str:
    text = str(value)
    return text if len(text) <= limit else text[: max(0, limit - len(marker))] + marker


def duration(seconds: Any) -> str:
    if seconds is None or seconds == "":
        return ""
    total = int(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


FILTERS: dict[str, Callable[..., Any]] = {
    "mrkdwn": mrkdwn,
    "markdown": markdown,
    "safe_url": safe_url,
    "slack_url": slack_url,
    "markdown_url": markdown_url,
    "mattermost": mattermost,
    "mattermost_plain": mattermost_plain,
    "mattermost_mention": mattermost_mention,
    "tg_html": tg_html,
    "tg_url": tg_url,
    "tg_markdown": tg_markdown,
    # A link's target in MarkdownV2: no ( or ) at all (percent-encoded), so nothing ends it.
    "tg_markdown_url": markdown_url,
    "gchat_html": gchat_html,
    "gchat_text": gchat_text,
    # An <a href="..."> in card text: the same as Telegram's (HTML attribute, & as &amp;).
    "gchat_url": tg_url,
    "one_line": one_line,
    "truncate_chars": truncate_chars,
    "duration": duration,
}

TESTS: dict[str, Callable[..., bool]] = {"web_url": web_url}
