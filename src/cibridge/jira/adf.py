"""Markdown-subset comment bodies as Atlassian Document Format, for Jira Cloud's v3 API.

Jira Cloud shows a v3 comment body that is a plain string as raw text, or rejects it
(gajira-comment#42), so the body is always an ADF ``doc``. The syntax is ``markdown``'s;
what the output must respect is ``specs/adf-v1-full.schema.json``:

- a text node is never empty, and its marks come from one of two families: strong, em,
  strike and link; or code and link. Code inside bold therefore shows as code only.
- list items start with a paragraph; quotes hold only paragraphs, lists and code blocks;
  table cells hold a paragraph each; a status lozenge carries no marks (not even a link).
- a body over ``MAX_BODY_CHARS`` is cut at a block boundary where possible (inside the
  block that overflows otherwise) and ends with a ``TRUNCATED`` paragraph.
"""

from __future__ import annotations

import json
from typing import Any

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

# What Jira counts against MAX_BODY_CHARS for an ADF body is not documented, so the whole
# JSON is counted: the cautious reading.
_MARK_ORDER = ("strong", "em", "strike")
Node = dict[str, Any]


def _json_size(node: Node) -> int:
    return utf16_length(json.dumps(node, ensure_ascii=False, separators=(",", ":")))


def _text(text: str, marks: list[Node]) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:  # an empty list is valid, but Jira's editor never writes one
        node["marks"] = marks
    return node


def _inline(nodes: Inlines, styles: frozenset[str] = frozenset(), href: str = "") -> list[Node]:
    link = [{"type": "link", "attrs": {"href": href}}] if href else []
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Text):
            marks = [{"type": mark} for mark in _MARK_ORDER if mark in styles]
            out.append(_text(node.text, marks + link))
        elif isinstance(node, Code):  # the schema lets code combine with link only
            out.append(_text(node.text, [{"type": "code"}, *link]))
        elif isinstance(node, Break):
            out.append({"type": "hardBreak"})
        elif isinstance(node, Status):
            out.append({"type": "status", "attrs": {"text": node.text, "color": node.color}})
        elif isinstance(node, Styled):
            out.extend(_inline(node.children, styles | {node.mark}, href))
        else:
            out.extend(_inline(node.children, styles, node.href))
    return _merged(out)


def _merged(nodes: list[Node]) -> list[Node]:
    """Adjacent text nodes with the same marks as one (``**a**__b__`` is one bold run)."""
    out: list[Node] = []
    texts: list[str] = []  # of the text node out[-1], joined once when it is complete
    for node in nodes:
        previous = out[-1] if out else None
        if (
            previous
            and node["type"] == previous["type"] == "text"
            and node.get("marks") == previous.get("marks")
        ):
            texts.append(node["text"])
            continue
        if texts:
            out[-1] = {**out[-1], "text": "".join(texts)}
        out.append(node)
        texts = [node["text"]] if node["type"] == "text" else []
    if texts:
        out[-1] = {**out[-1], "text": "".join(texts)}
    return out


def _paragraph(nodes: Inlines) -> Node:
    content = _inline(nodes)
    return {"type": "paragraph", "content": content} if content else {"type": "paragraph"}


def _list(block: ListBlock) -> Node:
    items = [
        {
            "type": "listItem",
            "content": [_paragraph(item.inlines), *(_list(sub) for sub in item.sublists)],
        }
        for item in block.items
    ]
    if not block.ordered:
        return {"type": "bulletList", "content": items}
    attrs = {"attrs": {"order": block.start}} if block.start != 1 else {}
    return {"type": "orderedList", **attrs, "content": items}


def _row(cells: tuple[Inlines, ...], kind: str) -> Node:
    return {
        "type": "tableRow",
        "content": [{"type": kind, "content": [_paragraph(cell)]} for cell in cells],
    }


def block(node: Block) -> Node:
    """One block of the tree as an ADF node."""
    if isinstance(node, Paragraph):
        return _paragraph(node.inlines)
    if isinstance(node, Heading):
        content = _inline(node.inlines)
        heading: Node = {"type": "heading", "attrs": {"level": node.level}}
        return {**heading, "content": content} if content else heading
    if isinstance(node, CodeBlock):
        code: Node = {"type": "codeBlock"}
        if node.language:
            code["attrs"] = {"language": node.language}
        if node.text:
            code["content"] = [{"type": "text", "text": node.text}]
        return code
    if isinstance(node, ListBlock):
        return _list(node)
    if isinstance(node, Quote):
        return {"type": "blockquote", "content": [block(inner) for inner in node.blocks]}
    if isinstance(node, Rule):
        return {"type": "rule"}
    rows = [_row(node.header, "tableHeader"), *(_row(row, "tableCell") for row in node.rows)]
    return {"type": "table", "content": rows}


def to_adf(markdown: str) -> dict[str, Any]:
    """``markdown`` (the subset in ``cibridge.jira.markdown``) as an ADF ``doc``."""
    source, cut = clean(markdown)
    note = _paragraph((Text(TRUNCATED),))
    empty = {"type": "doc", "version": 1, "content": []}
    # Each kept block costs its JSON and a comma; the note is always budgeted for.
    budget = MAX_BODY_CHARS - _json_size(empty) - _json_size(note) - 1
    content, overflow = fit(parse(source), block, lambda node: _json_size(node) + 1, budget)
    if cut or overflow:
        content.append(note)
    return {"type": "doc", "version": 1, "content": content}
