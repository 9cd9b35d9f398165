"""``{{ name }}`` placeholders in queries, rendered so a value can never change the query.

A value lands where its placeholder is: inside a PromQL string literal it is escaped for that
literal's quote (and, after ``=~``/``!~``, for RE2 as well, so ``a.b`` matches only
``a.b``); outside a literal it must be a plain number, duration or name. Anything else
is refused with the placeholder's name, never sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_BRACES = re.compile(r"\{\{.*?\}\}", re.S)
_BARE = re.compile(
    r"[A-Za-z_:][A-Za-z0-9_:]*|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|(?:[0-9]+(?:ms|[smhdwy]))+"
)
# Words that would change what a query does if a value could put them between two operands.
_KEYWORDS = frozenset(
    "and or unless by without on ignoring group_left group_right offset bool atan2 "
    "start end".split()
)
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def scalar(name: str, values: Mapping[str, Any], where: str) -> str:
    """The value of placeholder ``name`` as text, or a usage error saying how to set it."""
    if name not in values or values[name] is None or values[name] == "":
        raise CibridgeError(
            f"{where}: placeholder {{{{ {name} }}}} has no value",
            hint=f"pass --set {name}=VALUE (the action's `set` input), or remove it",
        )
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CibridgeError(
            f"{where}: placeholder {{{{ {name} }}}} is a {type(value).__name__}, not a value",
            hint=f"pass --set {name}=VALUE",
        )
    return str(value)


def check_placeholders(template: str, where: str) -> None:
    for found in _ANY_BRACES.finditer(template):
        if not PLACEHOLDER.fullmatch(found.group()):
            raise CibridgeError(
                f"{where}: {excerpt(found.group(), 60)!r} is not a {{{{ name }}}} placeholder",
                hint="queries take plain {{ name }} placeholders (no filters or expressions)",
            )


def _plain(match: re.Match[str], values: Mapping[str, Any], where: str) -> str:
    value = scalar(match.group(1), values, where)
    if re.search(r"[\s\x00-\x1f\x7f]", value):
        raise CibridgeError(
            f"{where}: the value of {{{{ {match.group(1)} }}}} has a space or control character",
            hint="pass a plain host, URL or name",
        )
    return value


def render_text(template: str, values: Mapping[str, Any], where: str) -> str:
    """A host, port or pipeline name: the value as it is, but one line with no spaces."""
    check_placeholders(template, where)
    return PLACEHOLDER.sub(lambda match: _plain(match, values, where), template)


def render_url(template: str, values: Mapping[str, Any], where: str) -> str:
    """A URL: each value one line with no spaces, escaped for the part of the URL it lands in
    and refused where it would change the host (:func:`cibridge.core.urls.fill`)."""
    from cibridge.core import urls

    check_placeholders(template, where)
    return urls.fill(
        template,
        PLACEHOLDER,
        lambda match: _plain(match, values, where),
        where,
        lambda match: f"{{{{ {match.group(1)} }}}}",
    )


def render_query(template: str, values: Mapping[str, Any], where: str) -> str:
    """The query with each placeholder replaced by its value, escaped for where it is."""
    check_placeholders(template, where)
    out: list[str] = []
    position = 0
    quote = ""  # the quote of the string literal being scanned, "" outside one
    literal_start = 0
    index = 0
    while index < len(template):
        match = PLACEHOLDER.match(template, index)
        if match:
            out.append(template[position:index])
            regex = bool(quote) and _is_regex(template, literal_start)
            out.append(_escaped(match.group(1), values, where, quote, regex))
            index = position = match.end()
            continue
        char = template[index]
        if quote:
            if char == "\\" and quote != "`":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'`":
            quote, literal_start = char, index
        elif char == "#":
            # A comment to the end of the line: its quotes open no literal, and what it
            # holds (placeholders too) stays as written.
            end = template.find("\n", index)
            index = len(template) if end < 0 else end
            continue
        index += 1
    out.append(template[position:])
    return "".join(out)


def _is_regex(template: str, literal_start: int) -> bool:
    return bool(re.search(r"[=!]~\s*$", template[:literal_start]))


def _escaped(name: str, values: Mapping[str, Any], where: str, quote: str, regex: bool) -> str:
    value = scalar(name, values, where)
    shown = f"{{{{ {name} }}}}"
    if not quote:
        # PromQL keywords are case-insensitive: `OR` joins two vectors as `or` does.
        if not _BARE.fullmatch(value) or value.lower() in _KEYWORDS:
            raise CibridgeError(
                f"{where}: {shown} stands outside a string literal, where its value "
                f"{excerpt(value, 40)!r} could change the query",
                hint=f'put it in quotes (job="{shown}") or pass a plain number, duration or name',
            )
        return value
    if regex:
        value = _RE2_SPECIAL.sub(r"\\\1", value)
    if quote == "`":
        if "`" in value:
            raise CibridgeError(
                f"{where}: the value of {shown} has a backtick, which a `raw string` cannot hold",
                hint=f'quote the placeholder with double quotes: "{shown}"',
            )
        return value
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise CibridgeError(
            f"{where}: the value of {shown} has a control character", hint="pass plain text"
        )
    escaped = "".join(_ESCAPES.get(char, char) for char in value)
    return escaped.replace(quote, "\\" + quote)
