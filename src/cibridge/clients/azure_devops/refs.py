"""Azure Boards work item references in free text, as Azure Boards itself reads them.

Azure Boards links a commit, pull request or branch to work item N when the text says
``AB#N``: ``AB`` upper-case, then ``#`` and the id, nothing between (Microsoft's "Link
GitHub commits, pull requests and branches to work items"). ``#123`` alone is a GitHub
issue and ``ab#123`` is no reference. The rules here:

- ``AB#`` stands alone on its left: the start, a space or punctuation, never a letter,
  digit or ``_`` (``TAB#1``, ``x_AB#1`` are not references);
- the id is a positive int32 without a leading zero (Azure DevOps ids are int32), and
  nothing word-like follows it (``AB#12abc`` is not a reference);
- ``fix``, ``fixes`` or ``fixed`` (any case) right before it, a colon allowed, says the
  work item is fixed by what is shipped: ``Fixes AB#123`` (the Azure Boards docs' words
  for moving a linked work item to its Resolved-category state).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_ID = 2**31 - 1  # work item ids are int32

_REF = re.compile(r"(?<![A-Za-z0-9_])AB#([1-9][0-9]{0,9})(?![A-Za-z0-9_])")
_FIXES = re.compile(r"(?i:\b(?:fix|fixes|fixed))\s*:?\s+$")


def references(text: str) -> list[tuple[int, bool]]:
    """Each (id, fixed) referenced in ``text``, in order of first mention; ``fixed`` when
    any mention of the id is preceded by fix/fixes/fixed."""
    found: dict[int, bool] = {}
    for match in _REF.finditer(text):
        number = int(match.group(1))
        if number > MAX_ID:
            continue
        fixed = bool(_FIXES.search(text[max(0, match.start() - 12) : match.start()]))
        found[number] = found.get(number, False) or fixed
    return list(found.items())


def parse_id(value: str) -> int | None:
    """An id given on its own (``--work-item 123`` or ``AB#123``), or None."""
    text = value.strip()
    text = text[3:] if text.startswith("AB#") else text
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def discover(sources: Iterable[tuple[str, str]]) -> dict[int, tuple[list[str], bool]]:
    """id -> (where it was found, fixed) over (source, text) pairs."""
    found: dict[int, tuple[list[str], bool]] = {}
    for source, text in sources:
        for number, fixed in references(text or ""):
            where, was_fixed = found.get(number, ([], False))
            if source not in where:
                where.append(source)
            found[number] = (where, was_fixed or fixed)
    return found
