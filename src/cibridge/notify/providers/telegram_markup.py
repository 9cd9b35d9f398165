"""Telegram's two markups, read the way the Bot API reads them: the visible text's length
(UTF-16 code units, as Telegram counts) and a cut that never splits a tag, an entity or
an escape, closing whatever the cut leaves open.

HTML: the tags of core.telegram.org/bots/api#html-style, the entities &lt; &gt; &amp;
&quot; and numeric ones. MarkdownV2: ``\\`` escapes, ``*bold*``, ``_italic_``,
``__underline__``, ``~strike~``, ``||spoiler||``, `` `code` ``, fenced ``pre``,
``[text](url)``.
"""

from __future__ import annotations

import re

_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|[^<&]+|[<&]"
)
_MD_MARKERS = ("```", "__", "||", "*", "_", "~", "`")
_NAMED = frozenset({"lt", "gt", "amp", "quot"})  # any other &name; is shown as written


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut_plain(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 units (no half surrogate pair)."""
    kept = text[:limit]
    while units(kept) > limit:
        kept = kept[:-1]
    return kept


def _html_tokens(text: str) -> list[tuple[str, int, str, bool]]:
    """(raw, visible units, tag name, closing) per token; tag "" for text."""
    tokens = []
    for found in _HTML_TOKEN.finditer(text):
        raw = found.group(0)
        if found.group(2):
            tokens.append((raw, 0, found.group(2).lower(), bool(found.group(1))))
        elif found.group(3) and (found.group(3)[0] == "#" or found.group(3) in _NAMED):
            tokens.append((raw, 1, "", False))
        else:
            tokens.append((raw, units(raw), "", False))
    return tokens


def html_length(text: str) -> int:
    return sum(size for _, size, _, _ in _html_tokens(text))


def cut_html(text: str, limit: int, note: str) -> str:
    """``text`` with at most ``limit`` visible units, ``note`` (HTML) appended when cut."""
    if html_length(text) <= limit:
        return text
    budget = limit - html_length(note)
    out: list[str] = []
    open_tags: list[str] = []
    for raw, size, tag, closing in _html_tokens(text):
        if tag:
            if closing:
                if tag in open_tags:
                    del open_tags[len(open_tags) - 1 - open_tags[::-1].index(tag)]
            else:
                open_tags.append(tag)
            out.append(raw)
            continue
        if size <= budget:
            out.append(raw)
            budget -= size
            continue
        if size > 1 and budget > 0:  # plain text: as many characters as still fit
            kept = ""
            for char in raw:
                if units(kept + char) > budget:
                    break
                kept += char
            out.append(kept)
        break
    closers = "".join(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out) + closers + note


def _md_tokens(text: str) -> list[tuple[str, int, str]]:
    """(raw, visible units, marker) for MarkdownV2; marker "" for text, "link" for the
    ``](url)`` that ends a link."""
    tokens: list[tuple[str, int, str]] = []
    index = 0
    in_code = ""
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            tokens.append((text[index : index + 2], units(text[index + 1]), ""))
            index += 2
            continue
        if in_code:
            if text.startswith(in_code, index):
                tokens.append((in_code, 0, in_code))
                index += len(in_code)
                in_code = ""
            else:
                tokens.append((char, units(char), ""))
                index += 1
            continue
        if char == "]" and text.startswith("](", index):
            end = index + 2
            while end < len(text) and text[end] != ")":
                end += 2 if text[end] == "\\" else 1
            tokens.append((text[index : end + 1], 0, "link"))
            index = end + 1
            continue
        if char == "[":
            tokens.append(("[", 0, "["))
            index += 1
            continue
        marker = next((m for m in _MD_MARKERS if text.startswith(m, index)), "")
        if marker:
            if marker in ("`", "```"):
                in_code = marker
            tokens.append((marker, 0, marker))
            index += len(marker)
            continue
        tokens.append((char, units(char), ""))
        index += 1
    return tokens


def markdown_length(text: str) -> int:
    return sum(size for _, size, _ in _md_tokens(text))


def cut_markdown(text: str, limit: int, note: str) -> str:
    """The MarkdownV2 counterpart of :func:`cut_html`: open entities are closed, a link
    cut in its text keeps its target."""
    if markdown_length(text) <= limit:
        return text
    budget = limit - markdown_length(note)
    tokens = _md_tokens(text)
    out: list[str] = []
    stack: list[str] = []
    stop = len(tokens)  # the first token left out
    for index, (raw, size, marker) in enumerate(tokens):
        if marker == "link":
            if "[" in stack:
                del stack[len(stack) - 1 - stack[::-1].index("[")]
            out.append(raw)
            continue
        if marker:
            if stack and stack[-1] == marker:
                stack.pop()
            else:
                stack.append(marker)
            out.append(raw)
            continue
        if size > budget:
            stop = index
            break
        out.append(raw)
        budget -= size
    closers = []
    for marker in reversed(stack):
        if marker == "[":
            target = next((raw for raw, _, m in tokens[stop:] if m == "link"), "](https://t.me)")
            closers.append(target)
        else:
            closers.append(marker)
    return "".join(out) + "".join(closers) + note
