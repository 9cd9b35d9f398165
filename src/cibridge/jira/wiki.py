"""Markdown-subset comment bodies as Jira wiki markup, for Data Center's v2 API.

The syntax is ``markdown``'s. It becomes: ``h1.`` .. ``h6.``, ``*strong*``, ``_em_``,
``-strike-``, ``{{code}}``, ``[text|url]`` (``[url]`` when the text is the URL), ``*``/``#``
lists (``**``, ``*#`` nested), ``{code:lang}`` blocks, ``{quote}``, ``----``, ``||h||`` and
``|c|`` tables, and a status lozenge as bold ``[TEXT]`` in its colour:
``{color:#00875A}*[Deployed]*{color}`` (neutral: no colour).

User text never becomes markup. Jira's renderer takes a backslash before
``!^~+?%{}()*_-@#`` as "this character" (its BackslashEscapeRendererComponent), so those
are backslash-escaped. It keeps HTML character references, which covers what a backslash
cannot: ``\\`` (two backslashes are a line break), ``&``, and ``[``, ``]``, ``|``, which
the link and table parsers see before escapes are applied; ``h1.``/``bq.`` at a line start
and the ``:D``/``:P`` emoticons are broken up the same way.

Known losses: an ordered list's start number, and strong/em/strike inside a word
(``a**b**c``), which Jira's phrase rules do not render.
"""

from __future__ import annotations

import re

from cibridge.jira.inline import Break, Code, Inlines, Status, Styled, Text
from cibridge.jira.markdown import (
    Block,
    CodeBlock,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    clean,
    parse,
)
from cibridge.jira.sizing import MAX_BODY_CHARS, TRUNCATED, fit, utf16_length

_BACKSLASHED = frozenset("!^~+?%{}()*_-@#")
_REFERENCES = {"\\": "&#92;", "&": "&amp;", "[": "&#91;", "]": "&#93;", "|": "&#124;"}
_EMOTICON = re.compile(r":(?=[DPp])")
_LINE_START = re.compile(r"^([ \t]*(?:h[1-6]|bq))\.", re.MULTILINE)
# In the URL of [text|url] these would end the link or mean something to the renderer.
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#@$&'()*+,;=%]")
_WRAP = {"strong": "*", "em": "_", "strike": "-"}
# Inside list items, table cells and headings a newline would end the line's construct.
_BREAK = " \\\\ "
_STATUS_COLORS = {
    "green": "#00875A",
    "red": "#DE350B",
    "yellow": "#FF991F",
    "blue": "#0052CC",
    "purple": "#5243AA",
}
# The {code} languages Data Center highlights; any other makes it show an error box.
_LANGUAGES = frozenset(
    "actionscript ada applescript bash c c# c++ cpp css erlang go groovy haskell html java "
    "javascript json lua none nyan objc perl php python r ruby scala sql swift visualbasic "
    "xml yaml".split()
)
_LANGUAGE_ALIASES = {
    "js": "javascript",
    "py": "python",
    "sh": "bash",
    "shell": "bash",
    "yml": "yaml",
    "golang": "go",
    "rb": "ruby",
}


def escape(text: str) -> str:
    """``text`` as wiki markup that renders as exactly that text, wherever it is put."""
    escaped = "".join(
        "\\" + char if char in _BACKSLASHED else _REFERENCES.get(char, char) for char in text
    )
    return _LINE_START.sub(r"\1&#46;", _EMOTICON.sub("&#58;", escaped))


def _url(href: str) -> str:
    return _URL_UNSAFE.sub(
        lambda m: "".join(f"%{byte:02X}" for byte in m.group(0).encode("utf-8")), href
    )


def _status(node: Status, active: frozenset[str]) -> str:
    label = escape(f"[{node.text}]")
    label = label if "strong" in active else f"*{label}*"
    color = _STATUS_COLORS.get(node.color)
    return f"{{color:{color}}}{label}{{color}}" if color else label


def _inline(nodes: Inlines, newline: str, active: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(escape(node.text))
        elif isinstance(node, Code):
            parts.append("{{" + escape(node.text) + "}}")
        elif isinstance(node, Break):
            parts.append(newline)
        elif isinstance(node, Status):
            parts.append(_status(node, active))
        elif isinstance(node, Styled):
            inner = _inline(node.children, newline, active | {node.mark})
            wrap = "" if node.mark in active else _WRAP[node.mark]  # *a *b* c* breaks Jira
            parts.append(f"{wrap}{inner}{wrap}")
        elif node.children == (Text(node.href),):
            parts.append(f"[{_url(node.href)}]")
        else:
            parts.append(f"[{_inline(node.children, newline, active)}|{_url(node.href)}]")
    return "".join(parts)


def _list(node: ListBlock, prefix: str = "") -> list[str]:
    marker = prefix + ("#" if node.ordered else "*")
    lines: list[str] = []
    for item in node.items:
        lines.append(f"{marker} {_inline(item.inlines, _BREAK)}")
        for sub in item.sublists:
            lines.extend(_list(sub, marker))
    return lines


def _code(node: CodeBlock) -> str:
    body = node.text
    macro = "noformat" if re.search(r"\{code", body, re.IGNORECASE) else "code"
    # The macro's body ends at the first {code} (or {noformat}, or {quote} of a quote
    # around it) whatever surrounds it: a zero-width space keeps such text inside.
    body = re.sub(rf"\{{(?=(?:{macro}|quote))", "{\u200b", body, flags=re.IGNORECASE)
    language = node.language.lower()
    language = _LANGUAGE_ALIASES.get(language, language)
    if macro == "code" and language in _LANGUAGES:
        return f"{{code:{language}}}\n{body}\n{{code}}"
    return f"{{{macro}}}\n{body}\n{{{macro}}}"


def _row(cells: tuple[Inlines, ...], separator: str) -> str:
    # An empty cell needs a space, or "||" would read as a header separator.
    return separator + separator.join(_inline(cell, _BREAK) or " " for cell in cells) + separator


def block(node: Block) -> str:
    """One block of the tree as wiki markup."""
    if isinstance(node, Paragraph):
        return _inline(node.inlines, "\n")
    if isinstance(node, Heading):
        text = _inline(node.inlines, _BREAK)
        return f"h{node.level}. {text}" if text else ""
    if isinstance(node, CodeBlock):
        return _code(node)
    if isinstance(node, ListBlock):
        return "\n".join(_list(node))
    if isinstance(node, Quote):
        return "{quote}\n" + "\n\n".join(block(inner) for inner in node.blocks) + "\n{quote}"
    if isinstance(node, Rule):
        return "----"
    rows = [_row(node.header, "||"), *(_row(row, "|") for row in node.rows)]
    return "\n".join(rows)


def to_wiki(markdown: str) -> str:
    """``markdown`` (the subset in ``cibridge.jira.markdown``) as Jira wiki markup."""
    source, cut = clean(markdown)
    note = block(Paragraph((Text(TRUNCATED),)))
    # Blocks are separated by a blank line; the note is always budgeted for.
    budget = MAX_BODY_CHARS - utf16_length(note) - 2
    parts, overflow = fit(parse(source), block, lambda text: utf16_length(text) + 2, budget)
    if cut or overflow:
        parts.append(note)
    return "\n\n".join(part for part in parts if part)
