"""Which work items a run ships: ``AB#N`` in the commits in range, the pull or merge
request's title and description and its branch (or the branch pushed), and ids named on
purpose with ``--work-item``."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from cibridge.boards.service import NAMED, Found
from cibridge.clients.azure_devops import refs
from cibridge.context.model import Context
from cibridge.core.errors import CibridgeError, failure

MAX_ITEMS_SETTING = ("integration_configs", "project_management", "azure_devops", "max_items")
_LISTED = 5


def named(values: Sequence[str]) -> dict[int, Found]:
    found: dict[int, Found] = {}
    for value in values:
        for part in value.replace(",", " ").split():
            number = refs.parse_id(part)
            if number is None:
                raise CibridgeError(
                    f"--work-item {part[:60]!r} is not a work item id",
                    hint="a work item id is a number: --work-item 123 (or AB#123)",
                )
            found.setdefault(number, Found([NAMED]))
    return found


def texts(context: Context) -> list[tuple[str, str]]:
    """(source, text) pairs to read references from, most specific first."""
    found: list[tuple[str, str]] = []
    pull = context.pull_request
    if pull:
        kind = "merge request" if pull.kind == "merge_request" else "pull request"
        found += [(f"{kind} title", pull.title), (f"{kind} description", pull.body)]
        found.append((f"{kind} branch", pull.source_branch))
    elif context.branch:
        found.append(("branch", context.branch))
    found += [(f"commit {c.short_sha}", c.message) for c in context.commits]
    return found


def from_texts(pairs: Sequence[tuple[str, str]], into: dict[int, Found]) -> dict[int, Found]:
    for number, (sources, fixed) in refs.discover(pairs).items():
        entry = into.setdefault(number, Found([]))
        entry.sources.extend(s for s in sources if s not in entry.sources)
        entry.fixed = entry.fixed or fixed
    return into


def check_cap(found: Collection[int], cap: int) -> None:
    """Refuse the whole run, before any read or write, when more items than ``cap`` are
    referenced: moving some and not the rest is harder to undo than moving none."""
    if len(found) <= cap:
        return
    from cibridge.report.outputs import listed

    shown = [f"AB#{n}" for n in sorted(found)]
    raise failure(
        f"found {len(shown)} work items, more than --max-items {cap}: nothing was changed "
        f"({listed(shown, _LISTED)})",
        hint="raise --max-items (or max_items under integration_configs.project_management."
        "azure_devops) if the run really ships that many, or name them with --work-item",
    )
