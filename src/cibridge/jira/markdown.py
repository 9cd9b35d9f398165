"""The Markdown subset Jira comment templates are written in, parsed once into a small tree
that ``adf`` (Jira Cloud) and ``wiki`` (Data Center) render.

Blocks: paragraphs (a blank line between them; a single newline is a line break, as in
GitHub and Jira comments), ``#`` .. ``######`` headings, ``-``/``*``/``+`` and
``1.``/``1)`` lists with one nested level (indented 2 or more), fenced code blocks
(```` ```lang ```` or ``~~~``), ``>`` quotes holding paragraphs, lists and code,
``---``/``***``/``___`` rules, and tables: a ``| a | b |`` header row, a ``|---|---|``
delimiter row, then ``| c | d |`` rows (missing cells are empty, extra ones dropped).

Inline (see ``inline``): ``**strong**``/``__strong__``, ``*em*``/``_em_``, ``~~strike~~``,
```code```, ``[text](url)`` and ``<url>`` (http, https and mailto only), bare
``http(s)://`` URLs, status lozenges ``{status:green}Deployed{/status}`` (neutral, purple,
blue, red, yellow or green; ``{status}X{/status}`` is neutral), and a backslash before any
ASCII punctuation for the character itself (``inline.escape`` makes any value literal).

Anything else, including each construct above when malformed (``**a``, a link to
``javascript:``, an unknown status colour), is literal text. Not supported: setext headings
(``---`` under text is a rule), indented code, HTML, images, reference links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias

from cibridge.jira.inline import Inlines, inlines

# Commit messages carry anything: C0/C1 controls and lone surrogates have no place in a
# comment and break JSON encoders; every line separator Java's regexes know (Jira renders
# wiki markup with them) becomes a plain newline, so no line can start where we do not see.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?|[\x85\u2028\u2029]")
# A comment holds at most ~32k characters: parsing more source than this is wasted work.
MAX_SOURCE_CHARS = 200_000

_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)$")
_FENCE_END = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*$")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_HEADING_END = re.compile(r"(?:^|[ \t]+)#+$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r" {0,3}> ?(.*)$")
_ITEM = re.compile(r"([ \t]*)(?:[-*+]|([0-9]{1,9})[.)])[ \t]+(\S.*)$")
_DELIMITER_ROW = re.compile(r"[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)*[ \t]*:?-+:?[ \t]*\|?[ \t]*$")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Paragraph:
    inlines: Inlines


@dataclass(frozen=True)
class Heading:
    level: int
    inlines: Inlines


@dataclass(frozen=True)
class CodeBlock:
    language: str
    text: str


@dataclass(frozen=True)
class ListItem:
    inlines: Inlines
    sublists: tuple[ListBlock, ...] = ()


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Paragraph | ListBlock | CodeBlock, ...]


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Table:
    header: tuple[Inlines, ...]
    rows: tuple[tuple[Inlines, ...], ...]


Block: TypeAlias = "Paragraph | Heading | CodeBlock | ListBlock | Quote | Rule | Table"


def clean(source: str) -> tuple[str, bool]:
    """``source`` with newlines normalised and control characters gone, cut to
    ``MAX_SOURCE_CHARS``; and whether it was cut."""
    text = _CONTROLS.sub("", _NEWLINES.sub("\n", source))
    return text[:MAX_SOURCE_CHARS], len(text) > MAX_SOURCE_CHARS


def parse(source: str) -> list[Block]:
    """The blocks of ``source`` (pass it through ``clean`` first)."""
    return _blocks(source.split("\n"), quoted=False)


def _blocks(lines: list[str], quoted: bool) -> list[Block]:
    blocks: list[Block] = []
    at = 0
    while at < len(lines):
        if not lines[at].strip():
            at += 1
            continue
        block, at = _block(lines, at, quoted)
        if block is not None:
            blocks.append(block)
    return blocks


def _fence(line: str) -> re.Match[str] | None:
    match = _FENCE.match(line)
    return None if match and match[2][0] == "`" and "`" in match[3] else match


def _table_starts(lines: list[str], at: int) -> bool:
    return (
        lines[at].lstrip().startswith("|")
        and at + 1 < len(lines)
        and "|" in lines[at + 1]
        and bool(_DELIMITER_ROW.match(lines[at + 1]))
        and len(_cells(lines[at + 1])) == len(_cells(lines[at]))
    )


def _starts_block(lines: list[str], at: int, quoted: bool) -> bool:
    line = lines[at]
    if _RULE.match(line):
        return not quoted  # in a quote, "---" is text rather than a list item "- -"
    if _fence(line) or _ITEM.match(line):
        return True
    return not quoted and bool(
        _HEADING.match(line) or _QUOTE.match(line) or _table_starts(lines, at)
    )


def _block(lines: list[str], at: int, quoted: bool) -> tuple[Block | None, int]:
    line = lines[at]
    if not _starts_block(lines, at, quoted):
        return _paragraph(lines, at, quoted)
    if _RULE.match(line):
        return Rule(), at + 1
    if fence := _fence(line):
        return _code(lines, at, fence)
    if _ITEM.match(line):
        return _list(lines, at)
    if heading := _HEADING.match(line):
        text = _HEADING_END.sub("", (heading[2] or "").strip())
        return Heading(len(heading[1]), inlines(text)), at + 1
    if _QUOTE.match(line):
        return _quote(lines, at)
    return _table(lines, at)


def _paragraph(lines: list[str], at: int, quoted: bool) -> tuple[Paragraph | None, int]:
    text: list[str] = []
    while at < len(lines) and lines[at].strip() and not (text and _starts_block(lines, at, quoted)):
        line = lines[at].strip()
        # A trailing backslash asks for a line break, which every newline already is.
        hard_break = (len(line) - len(line.rstrip("\\"))) % 2 == 1
        if hard_break and at + 1 < len(lines) and lines[at + 1].strip():
            line = line[:-1].rstrip()
        text.append(line)
        at += 1
    content = inlines("\n".join(text))
    return (Paragraph(content) if content else None), at


def _code(lines: list[str], at: int, fence: re.Match[str]) -> tuple[CodeBlock, int]:
    indent, marker, info = len(fence[1]), fence[2], fence[3].split()
    language = info[0] if info and _LANGUAGE.fullmatch(info[0]) else ""
    body: list[str] = []
    at += 1
    while at < len(lines):
        end = _FENCE_END.match(lines[at])
        at += 1
        if end and end[1][0] == marker[0] and len(end[1]) >= len(marker):
            break
        line = lines[at - 1]
        body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
    return CodeBlock(language, "\n".join(body)), at


@dataclass
class _Items:
    ordered: bool
    start: int
    lines: list[list[str]] = field(default_factory=list)
    nested: list[list[_Items]] = field(default_factory=list)  # each item's sublists

    def build(self) -> ListBlock:
        return ListBlock(
            self.ordered,
            self.start,
            tuple(
                ListItem(inlines("\n".join(text)), tuple(sub.build() for sub in subs))
                for text, subs in zip(self.lines, self.nested, strict=True)
            ),
        )


def _indent(prefix: str) -> int:
    return len(prefix.expandtabs(4))


def _list(lines: list[str], at: int) -> tuple[ListBlock, int]:
    first = _ITEM.match(lines[at])
    assert first is not None
    base = _indent(first[1])
    top = _Items(first[2] is not None, int(first[2] or 1))
    while at < len(lines):
        line = lines[at]
        if not line.strip():  # a blank line ends the list unless another item follows
            following = next((i for i in range(at, len(lines)) if lines[i].strip()), len(lines))
            item = _ITEM.match(lines[following]) if following < len(lines) else None
            if not item or _RULE.match(lines[following]):
                break
            if _indent(item[1]) < base + 2 and (item[2] is not None) != top.ordered:
                break
            at = following
            continue
        item = None if _RULE.match(line) or _fence(line) else _ITEM.match(line)
        if item and _indent(item[1]) >= base + 2 and top.lines:
            ordered, subs = item[2] is not None, top.nested[-1]
            if not subs or subs[-1].ordered != ordered:
                subs.append(_Items(ordered, int(item[2] or 1)))
            subs[-1].lines.append([item[3]])
            subs[-1].nested.append([])
        elif item and (item[2] is not None) == top.ordered:
            top.lines.append([item[3]])
            top.nested.append([])
        elif not item and top.lines and _indent(line[: len(line) - len(line.lstrip())]) >= base + 2:
            subs = top.nested[-1]  # an indented line goes on with the last item
            (subs[-1].lines[-1] if subs else top.lines[-1]).append(line.strip())
        else:
            break
        at += 1
    return top.build(), at


def _quote(lines: list[str], at: int) -> tuple[Quote | None, int]:
    body: list[str] = []
    while at < len(lines) and (quoted := _QUOTE.match(lines[at])):
        body.append(quoted[1])
        at += 1
    blocks = tuple(
        b for b in _blocks(body, quoted=True) if isinstance(b, (Paragraph, ListBlock, CodeBlock))
    )
    return (Quote(blocks) if blocks else None), at


def _cells(line: str) -> list[str]:
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip() for cell in _CELL_SEPARATOR.split(row)]


def _table(lines: list[str], at: int) -> tuple[Table, int]:
    header = _cells(lines[at])
    width = len(header)
    rows: list[tuple[Inlines, ...]] = []
    at += 2
    while at < len(lines) and lines[at].lstrip().startswith("|"):
        cells = (_cells(lines[at]) + [""] * width)[:width]
        rows.append(tuple(inlines(cell) for cell in cells))
        at += 1
    return Table(tuple(inlines(cell) for cell in header), tuple(rows)), at
