"""Cutting a rendered comment to Jira's size limit at block boundaries, or inside the
block that overflows, so what is kept stays well-formed in either markup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cibridge.jira.inline import Break, Code, Inline, Inlines, Link, Styled, Text
from cibridge.jira.markdown import Block, CodeBlock, Heading, ListBlock, Paragraph, Quote, Table

# Jira's limit for a text field, comments included (Data Center's default
# jira.text.field.character.limit; Cloud documents the same number).
MAX_BODY_CHARS = 32_767
TRUNCATED = "… (cut short: a Jira comment holds at most 32,767 characters)"
Rendered = TypeVar("Rendered")
# A cut this close to the budget is as good as the longest one.
CLOSE_ENOUGH = 64


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


def _longest_cut(
    block: Block,
    render: Callable[[Block], Rendered],
    size: Callable[[Rendered], int],
    budget: int,
    full_size: int,
) -> Rendered | None:
    """The longest cut of ``block`` that fits ``budget``, or None; one within
    ``CLOSE_ENOUGH`` of it ends the search. Size grows about linearly with the cut, so
    guesses interpolate, alternating with bisection to keep the worst case logarithmic:
    each guess renders up to the whole budget, and bisection alone needs ~30 of them."""
    best = None
    fits, fits_size = 0, 0  # the longest cut known to fit
    too_long, too_long_size = _units(block), full_size  # the shortest known not to
    bisect = False
    while too_long - fits > 1:
        if bisect:
            guess = (fits + too_long) // 2
        else:
            share = (budget - fits_size) / max(1, too_long_size - fits_size)
            guess = fits + int((too_long - fits) * share)
        guess, bisect = min(max(guess, fits + 1), too_long - 1), not bisect
        attempt = render(_cut(block, guess))
        attempt_size = size(attempt)
        if attempt_size > budget:
            too_long, too_long_size = guess, attempt_size
            continue
        best, fits, fits_size = attempt, guess, attempt_size
        if attempt_size >= budget - CLOSE_ENOUGH:
            break
    return best


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
        cost = size(rendered)
        if cost > budget:
            cut = _longest_cut(block, render, size, budget, cost)
            return (kept if cut is None else [*kept, cut]), True
        kept.append(rendered)
        budget -= cost
    return kept, False
