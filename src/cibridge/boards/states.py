"""Which state a work item goes to: a state by name, checked against its type's states,
or the first state of a category (each type has its own: a User Story's Completed state
is Closed, a Task's is Done). Azure Boards has no transitions API: a state is set by
writing ``System.State``, and the process's rules accept or refuse it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cibridge.core.errors import failure

if TYPE_CHECKING:
    from cibridge.clients.azure_devops import BoardsClient, State, WorkItem

CATEGORIES = ("Proposed", "InProgress", "Resolved", "Completed")  # in the order work goes
_ORDER = {name.casefold(): index for index, name in enumerate(CATEGORIES)}


def category_named(value: str) -> str:
    """The category as Azure DevOps spells it (``in-progress``, ``inprogress`` accepted)."""
    wanted = value.replace("-", "").replace("_", "").replace(" ", "").casefold()
    for name in CATEGORIES:
        if name.casefold() == wanted:
            return name
    return ""


class TypeStates:
    """Each work item type's states, asked for once per run even with items in parallel."""

    def __init__(self, client: BoardsClient) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.by_type: dict[str, list[State]] = {}

    def of(self, work_item_type: str) -> list[State]:
        with self.lock:
            if work_item_type not in self.by_type:
                self.by_type[work_item_type] = self.client.states(work_item_type)
            return self.by_type[work_item_type]


def _listed(states: Sequence[State]) -> str:
    return ", ".join(f"{s.name} ({s.category})" for s in states) or "none"


def by_name(item: WorkItem, states: Sequence[State], wanted: str) -> str:
    for state in states:
        if state.name.casefold() == wanted.casefold():
            return state.name
    raise failure(
        f"AB#{item.id}: {item.type} has no state {wanted!r}; its states: {_listed(states)}",
        hint="pass one of these with --state, or --state-category to pick each type's own",
    )


def by_category(item: WorkItem, states: Sequence[State], category: str) -> str:
    for state in states:
        if state.category.casefold() == category.casefold():
            return state.name
    raise failure(
        f"AB#{item.id}: {item.type} has no state in category {category}; its states: "
        f"{_listed(states)}",
        hint="check the process's states for this type (Organization settings > Process)",
    )


def category_of(states: Sequence[State], name: str) -> str:
    return next((s.category for s in states if s.name.casefold() == name.casefold()), "")


def is_before(states: Sequence[State], current: str, category: str) -> bool:
    """Whether ``current`` is in a category before ``category`` (or in none known): a fixed
    item moves on to Resolved, never back from Resolved or Completed."""
    here = _ORDER.get(category_of(states, current).casefold(), -1)
    return here < _ORDER.get(category.casefold(), len(CATEGORIES))
