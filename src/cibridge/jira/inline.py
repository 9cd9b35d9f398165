"""Inline Markdown of Jira comment templates: the text of one paragraph, heading, list item
or table cell as a small tree (see ``markdown`` for the whole syntax).

Emphasis follows CommonMark's delimiter rules closely enough that ``snake_case_names``,
``2*3*4`` spacing and unbalanced markers (``**a``) come out as the characters typed; the
rule of three and link reference definitions are left out.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias

STATUS_COLORS = ("neutral", "purple", "blue", "red", "yellow", "green")


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Break:
    pass


@dataclass(frozen=True)
class Status:
    text: str
    color: str


@dataclass(frozen=True)
class Styled:
    mark: str  # "strong", "em" or "strike"
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple[Inline, ...]


Inline: TypeAlias = "Text | Code | Break | Status | Styled | Link"
Inlines: TypeAlias = "tuple[Inline, ...]"


@dataclass
class _Delim:
    """A run of ``*``, ``_`` or ``~`` that may open or close emphasis."""

    char: str
    length: int
    can_open: bool
    can_close: bool


_MARKS = {
    ("*", 1): "em",
    ("_", 1): "em",
    ("*", 2): "strong",
    ("_", 2): "strong",
    ("~", 2): "strike",
}
_SPECIAL = re.compile(r"[\\\n`\[{<*_~]|(?<![A-Za-z0-9])https?://", re.IGNORECASE)
_STATUS = re.compile(r"\{status(?::([A-Za-z]+))?\}([^{}\n]+?)\{/status\}", re.IGNORECASE)
_ANGLE_LINK = re.compile(r"<((?:https?://|mailto:)[^\s<>]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\"`]+", re.IGNORECASE)
# Only these become links: javascript:, data: or file: could run code or mislead.
_WEB_HREF = re.compile(r"https?://[^\s/?#\\][^\s]*|mailto:[^\s@]+@\S+", re.IGNORECASE)
_URL_TRAILER = "?!.,:;*_~'"  # punctuation that ends a sentence, not the bare URL in it


def escape(text: str) -> str:
    """``text`` as Markdown that renders as exactly that text (a template's values)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def _punctuation(char: str) -> bool:
    return char in string.punctuation or unicodedata.category(char)[0] in "PS"


def _delimiters(text: str, at: int, run: str) -> list[_Delim | Text]:
    before = text[at - 1] if at else " "
    after = text[at + len(run)] if at + len(run) < len(text) else " "
    left = not after.isspace() and (
        not _punctuation(after) or before.isspace() or _punctuation(before)
    )
    right = not before.isspace() and (
        not _punctuation(before) or after.isspace() or _punctuation(after)
    )
    char = run[0]
    if char == "_":  # inside a word (snake_case_names) an underscore is a letter
        left, right = (
            left and (not right or _punctuation(before)),
            right and (not left or _punctuation(after)),
        )
    if char == "~":
        return [_Delim("~", 2, left, right)] if len(run) == 2 else [Text(run)]
    if len(run) <= 2:
        return [_Delim(char, len(run), left, right)]
    if len(run) == 3 and left != right:  # ***both***: strong outside, em inside
        order = (2, 1) if left else (1, 2)
        return [_Delim(char, n, left, right) for n in order]
    return [Text(run)]


def _code_span(text: str, at: int) -> tuple[Inline, int]:
    end_of_run = len(text) - len(text[at:].lstrip("`"))
    fence = text[at:end_of_run]
    for found in re.finditer(rf"(?<!`){fence}(?!`)", text[end_of_run:]):
        body = text[end_of_run : end_of_run + found.start()].replace("\n", " ")
        if len(body) > 2 and body[0] == body[-1] == " " and body.strip():
            body = body[1:-1]
        return (Code(body) if body else Text(fence * 2)), end_of_run + found.end()
    return Text(fence), end_of_run


def _bracket_end(text: str, at: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``at`` on the same line, or -1."""
    depth, index = 0, at
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "\n":
            return -1
        depth += (char == opening) - (char == closing)
        if depth == 0:
            return index
        index += 1
    return -1


def _link(text: str, at: int) -> tuple[Inline, int] | None:
    label_end = _bracket_end(text, at, "[", "]")
    if label_end < 0 or text[label_end + 1 : label_end + 2] != "(":
        return None
    href_end = _bracket_end(text, label_end + 1, "(", ")")
    href = text[label_end + 2 : href_end]
    if href_end < 0 or not _WEB_HREF.fullmatch(href):
        return None
    label = inlines(text[at + 1 : label_end], in_link=True) or (Text(href),)
    return Link(href, label), href_end + 1


def _bare_url(text: str, at: int) -> tuple[Inline, int] | None:
    match = _BARE_URL.match(text, at)
    url = match.group(0).rstrip(_URL_TRAILER) if match else ""
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_URL_TRAILER)
    if not _WEB_HREF.fullmatch(url):
        return None
    return Link(url, (Text(url),)), at + len(url)


def _construct(text: str, at: int, in_link: bool) -> tuple[Inline, int] | None:
    """The construct starting at ``text[at]`` and where it ends, or None if there is none."""
    char = text[at]
    if char == "\\":
        escaped = text[at + 1 : at + 2]
        if escaped == "\n":
            return Break(), at + 2
        return (Text(escaped), at + 2) if escaped and escaped in string.punctuation else None
    if char == "\n":
        return Break(), at + 1
    if char == "`":
        return _code_span(text, at)
    if in_link:  # no links inside a link's text
        return None
    if char == "[":
        return _link(text, at)
    if char == "{":
        status = _STATUS.match(text, at)
        color = (status[1] or "neutral").lower() if status else ""
        if status and color in STATUS_COLORS and status[2].strip():
            return Status(status[2].strip(), color), status.end()
        return None
    if char == "<":
        angle = _ANGLE_LINK.match(text, at)
        return (Link(angle[1], (Text(angle[1]),)), angle.end()) if angle else None
    return _bare_url(text, at)


def _tokens(text: str, in_link: bool) -> list[Inline | _Delim]:
    tokens: list[Inline | _Delim] = []
    at = 0
    while at < len(text):
        special = _SPECIAL.search(text, at)
        start = special.start() if special else len(text)
        if start > at:
            tokens.append(Text(text[at:start]))
        if special is None:
            break
        at = start
        if text[at] in "*_~":
            run = text[at] * (len(text[at:]) - len(text[at:].lstrip(text[at])))
            tokens.extend(_delimiters(text, at, run))
            at += len(run)
            continue
        found = _construct(text, at, in_link)
        if found is None:  # not the construct it looked like: one literal character
            found = Text(text[at]), at + 1
        tokens.append(found[0])
        at = found[1]
    return tokens


def _literal(items: list[Inline | _Delim]) -> Inlines:
    """``items`` with unmatched delimiters as the characters they were, texts merged."""
    merged: list[Inline] = []
    for item in items:
        node = Text(item.char * item.length) if isinstance(item, _Delim) else item
        if isinstance(node, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].text + node.text)
        else:
            merged.append(node)
    return tuple(merged)


def _matching_opener(out: list[Inline | _Delim], openers: list[int], closer: _Delim) -> int:
    """Position in ``openers`` of the nearest opener ``closer`` closes, or -1."""
    for depth in range(len(openers) - 1, -1, -1):
        opener = out[openers[depth]]
        if isinstance(opener, _Delim) and (opener.char, opener.length) == (
            closer.char,
            closer.length,
        ):
            return depth
    return -1


def inlines(text: str, in_link: bool = False) -> Inlines:
    """The inline tree of ``text``; newlines are line breaks (none at either end)."""
    out: list[Inline | _Delim] = []
    openers: list[int] = []  # indexes in `out` of delimiters that may still open
    for token in _tokens(text, in_link):
        depth = -1
        if isinstance(token, _Delim) and token.can_close:
            depth = _matching_opener(out, openers, token)
        if isinstance(token, _Delim) and depth >= 0:
            start = openers[depth]
            # Openers after the matching one were never closed: they stay literal inside.
            children = _literal(out[start + 1 :])
            del out[start:], openers[depth:]
            out.append(Styled(_MARKS[token.char, token.length], children))
            continue
        if isinstance(token, _Delim) and token.can_open:
            openers.append(len(out))
        out.append(token)
    nodes = list(_literal(out))
    while nodes and isinstance(nodes[-1], Break):
        nodes.pop()
    while nodes and isinstance(nodes[0], Break):
        nodes.pop(0)
    return tuple(nodes)
