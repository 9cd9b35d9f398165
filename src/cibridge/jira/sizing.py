"""Cutting a rendered comment to Jira's size limit at block boundaries, or inside the
block that overflows, so what is kept stays well-formed in either markup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cibridge.jira.inline import Break, Code, Inline, Inlines, Link, Styled, Text
from cibridge.jira.markdown import Block, CodeBlock, Heading, ListBlock, Paragraph, Quote, Table

Rendered = TypeVar("Rendered")


def utf16_length(text: str) -> int:
    """Length as Java counts it: Jira's limits are on Java strings."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _inline_units(node: Inline) -> int:
    if isinstance(node, (Text, Code)):
        return len(node.text)
    if isinstance(node, (Styled, Link)):
        return sum(_inline_units(child) for child in node.children)
    return 1


def _cut_inlines(nodes: Inlines, budget: int) -> Inlines:
    kept: list[Inline] = []
    for node in nodes:
        if budget <= 0:
            break
        if isinstance(node, (Text, Code)):
            kept.append(type(node)(node.text[:budget]))
        elif isinstance(node, Styled):
            kept.append(Styled(node.mark, _cut_inlines(node.children, budget)))
        elif isinstance(node, Link):
            kept.append(Link(node.href, _cut_inlines(node.children, budget)))
        elif not isinstance(node, Break) or budget > 1:  # never end on a line break
            kept.append(node)
        budget -= _inline_units(node)
    return tuple(kept)


def _units(block: Block) -> int:
    """How far ``_cut`` can cut ``block``: characters of text, or items, blocks, rows."""
    if isinstance(block, (Paragraph, Heading)):
        return sum(_inline_units(node) for node in block.inlines)
    if isinstance(block, CodeBlock):
        return len(block.text)
    if isinstance(block, ListBlock):
        return len(block.items)
    if isinstance(block, Quote):
        return len(block.blocks)
    return len(block.rows) if isinstance(block, Table) else 0


def _cut(block: Block, units: int) -> Block:
    if isinstance(block, Paragraph):
        return Paragraph(_cut_inlines(block.inlines, units))
    if isinstance(block, Heading):
        return Heading(block.level, _cut_inlines(block.inlines, units))
    if isinstance(block, CodeBlock):
        return CodeBlock(block.language, block.text[:units])
    if isinstance(block, ListBlock):
        return ListBlock(block.ordered, block.start, block.items[:units])
    if isinstance(block, Quote):
        return Quote(block.blocks[:units])
    return Table(block.header, block.rows[:units]) if isinstance(block, Table) else block


def fit(
    blocks: list[Block],
    render: Callable[[Block], Rendered],
    size: Callable[[Rendered], int],
    budget: int,
) -> tuple[list[Rendered], bool]:
    """The blocks rendered, as many as fit in ``budget`` by ``size``, the first one that
    does not fit cut short if part of it fits; and whether anything was left out."""
    kept: list[Rendered] = []
    for block in blocks:
        rendered = render(block)
        if size(rendered) <= budget:
            kept.append(rendered)
            budget -= size(rendered)
            continue
        low, high, best = 1, _units(block) - 1, None
        while low <= high:  # binary search for the longest cut that fits
            middle = (low + high) // 2
            attempt = render(_cut(block, middle))
            if size(attempt) <= budget:
                best, low = attempt, middle + 1
            else:
                high = middle - 1
        if best is not None:
            kept.append(best)
        return kept, True
    return kept, False
