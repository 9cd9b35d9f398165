"""Telegram's entity parsing, as strict as the Bot API's (core.telegram.org/bots/api#
formatting-options): a text either parses, giving its visible length in UTF-16 code
units, or fails with the words Telegram uses after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re

# Tags and the attributes each may carry.
HTML_TAGS = {
    "b": (), "strong": (), "i": (), "em": (), "u": (), "ins": (), "s": (), "strike": (),
    "del": (), "tg-spoiler": (), "span": ("class",), "a": ("href",), "code": ("class",),
    "pre": (), "blockquote": ("expandable",), "tg-emoji": ("emoji-id",),
}  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
RESERVED = set("_*[]()~`>#+-=|{}.!")
_ATTRIBUTE = re.compile(r'\s+([a-z-]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>"\']+)))?')


class ParseError(ValueError):
    pass


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _entity(text: str, index: int) -> tuple[str, int] | None:
    """The character an entity at ``index`` stands for, and where it ends."""
    found = re.match(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);", text[index:])
    if not found:
        return None
    name = found.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if not 0 < code <= 0x10FFFF:
            return None
        return chr(code), index + len(found.group(0))
    if name not in NAMED_ENTITIES:
        return None  # kept as text, as Telegram does
    return NAMED_ENTITIES[name], index + len(found.group(0))


def parse_html(text: str) -> str:
    """The visible text of an HTML text (what the chat shows), or ParseError."""
    visible: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "&":
            decoded = _entity(text, index)
            if decoded is not None:
                visible.append(decoded[0])
                index = decoded[1]
                continue
        if char != "<":
            visible.append(char)
            index += 1
            continue
        end = text.find(">", index)
        if end < 0:
            raise ParseError(f"Unclosed start tag at byte offset {_offset(text, index)}")
        inside = text[index + 1 : end]
        if inside.startswith("/"):
            name = inside[1:].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {_offset(text, index)}")
            if name and name != stack[-1]:
                raise ParseError(
                    f"Unmatched end tag at byte offset {_offset(text, index)}, expected "
                    f'"</{stack[-1]}>", found "</{name}>"'
                )
            stack.pop()
            index = end + 1
            continue
        found = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inside)
        name = found.group(0).lower() if found else ""
        if name not in HTML_TAGS:
            raise ParseError(
                f'Unsupported start tag "{name}" at byte offset {_offset(text, index)}'
            )
        rest = inside[len(name) :]
        for attribute in _ATTRIBUTE.finditer(rest):
            if attribute.group(1) not in HTML_TAGS[name]:
                continue  # Telegram ignores attributes it does not know
        if re.sub(_ATTRIBUTE, "", rest).strip(" /"):
            raise ParseError(
                f"Expected equal sign in declaration of an attribute of the tag at byte "
                f"offset {_offset(text, index)}"
            )
        if name == "span" and 'class="tg-spoiler"' not in rest.replace("'", '"'):
            raise ParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_offset(text, index)}'
            )
        if stack and stack[-1] in ("code", "pre") and not (stack[-1] == "pre" and name == "code"):
            raise ParseError(
                f"Can't nest entities inside {stack[-1]} at byte offset {_offset(text, index)}"
            )
        stack.append(name)
        index = end + 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)


_MD_ENTITIES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
}


def parse_markdown_v2(text: str) -> str:
    """The visible text of a MarkdownV2 text, or ParseError."""
    visible: list[str] = []
    stack: list[tuple[str, int]] = []  # open markers and where they opened
    index = 0
    line_start = True
    while index < len(text):
        char = text[index]
        at = _offset(text, index)
        if char == "\\":
            if index + 1 >= len(text) or not 0 < ord(text[index + 1]) < 127:
                raise ParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            visible.append(text[index + 1])
            index += 2
            line_start = False
            continue
        if text.startswith("```", index):
            end = _code_end(text, index + 3, "```")
            body = text[index + 3 : end]
            visible.append(_unescape_code(body.split("\n", 1)[-1] if "\n" in body else body))
            index = end + 3
            continue
        if char == "`":
            end = _code_end(text, index + 1, "`")
            visible.append(_unescape_code(text[index + 1 : end]))
            index = end + 1
            continue
        if char == ">" and line_start:
            index += 1
            continue
        if char == "[":
            stack.append(("[", at))
            index += 1
            continue
        if char == "]":
            if not stack or stack[-1][0] != "[":
                raise ParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            stack.pop()
            if not text.startswith("(", index + 1):
                raise ParseError(f"Can't find end of a URL at byte offset {_offset(text, index)}")
            end = index + 2
            while end < len(text) and text[end] != ")":
                if text[end] == "\\":
                    end += 1
                end += 1
            if end >= len(text):
                raise ParseError(
                    f"Can't find end of a URL at byte offset {_offset(text, index + 1)}"
                )
            index = end + 1
            continue
        marker = next((m for m in ("__", "||", "*", "_", "~") if text.startswith(m, index)), "")
        if marker:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, at))
            index += len(marker)
            line_start = False
            continue
        if char in RESERVED:
            raise ParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        visible.append(char)
        line_start = char == "\n"
        index += 1
    if stack:
        marker, at = stack[-1]
        what = "a link" if marker == "[" else f"{_MD_ENTITIES[marker]} entity"
        raise ParseError(f"Can't find end of {what} at byte offset {at}")
    return "".join(visible)


def _code_end(text: str, start: int, fence: str) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(fence, index):
            return index
        index += 1
    kind = "Pre" if fence == "```" else "Code"
    raise ParseError(
        f"Can't find end of {kind} entity at byte offset {_offset(text, start - len(fence))}"
    )


def _unescape_code(body: str) -> str:
    return re.sub(r"\\([`\\])", r"\1", body)
