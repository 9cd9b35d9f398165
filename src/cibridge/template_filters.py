"""Filters templates use to keep data as data inside each provider's markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"(?m)^(\s*)([#+\-=])|^(\s*\d+)([.)])")


def mrkdwn(value: Any) -> str:
    """Slack mrkdwn: only &, < and > are control characters (links, mentions)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown(value: Any) -> str:
    """Markdown (DingTalk, WeCom, Feishu, Teams): backslash-escape what would become markup."""
    text = _MD_INLINE.sub(r"\\\1", str(value))
    return _MD_LINE_START.sub(lambda m: f"{m[1] or m[3] or ''}\\{m[2] or m[4]}", text)


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
    "one_line": one_line,
    "truncate_chars": truncate_chars,
    "duration": duration,
}
