"""The boards use case: update every work item what is shipped references.

One batch read for every id, each work item type's states once, then per item (in
parallel, bounded): the comments looked through for this run's marker, one JSON Patch
carrying state, tags and links together (after a ``test`` of the revision read), and the
comment. A concurrent edit (412, TF26071) or a link another writer just added is read
again and sent once more, never overwritten. Each item ends with its own verdict: one
that fails never stops the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.boards import comment as comments
from cibridge.boards import patch, states
from cibridge.core.errors import BUG_HINT, EXIT_BUG, EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.clients.azure_devops import BoardsClient, State, WorkItem

DEFAULT_CONCURRENCY = 8
NAMED = "--work-item"  # the source of an id named on purpose
WOULD = "would "


@dataclass
class Found:
    sources: list[str]
    fixed: bool = False  # "Fixes AB#N"

    @property
    def named(self) -> bool:
        return NAMED in self.sources


@dataclass
class BoardsRequest:
    items: dict[int, Found]
    state: str = ""
    state_category: str = ""
    resolve_fixed: bool = False
    comment: str | None = None  # the rendered comment (Markdown); None: no comment
    marker: str = ""  # finds this run's comment again
    tags: Sequence[str] = ()
    links: Sequence[patch.Link] = ()
    concurrency: int = DEFAULT_CONCURRENCY
    dry_run: bool = False


@dataclass
class ItemResult:
    id: int
    title: str = ""
    type: str = ""
    from_state: str = ""
    to_state: str = ""
    found_in: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(
        default_factory=dict
    )  # step -> done | would … | skipped: … | failed
    errors: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    @property
    def key(self) -> str:
        return f"AB#{self.id}"

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, step: str, error: BaseException) -> None:
        if isinstance(error, CibridgeError):
            text = str(error)
            self.errors.append(text if text.startswith(self.key) else f"{self.key}: {text}")
            self.exit_code = max(self.exit_code, error.exit_code)
        else:
            self.errors.append(
                f"{self.key}: internal error: {type(error).__name__}: {error}\n  hint: {BUG_HINT}"
            )
            self.exit_code = EXIT_BUG
        self.actions[step] = "failed"

    def as_output(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "from": self.from_state,
            "to": self.to_state,
            "actions": self.actions,
            "ok": self.ok,
        }


@dataclass
class BoardsResult:
    items: list[ItemResult]
    unknown: list[int]  # mentioned, not found: skipped
    missing: list[int]  # named with --work-item, not found: failed
    dry_run: bool = False
    requests: int = 0  # requests sent (writes printed, in a dry run)

    @property
    def exit_code(self) -> int:
        worst = max((item.exit_code for item in self.items), default=EXIT_OK)
        return max(worst, EXIT_FAILURE) if self.missing else worst

    def count(self, step: str, state: str) -> int:
        return sum(1 for item in self.items if item.actions.get(step, "").startswith(state))


@dataclass
class Dependencies:
    client: BoardsClient
    progress: Callable[[str], None]


class _CommentMode:
    """Markdown comments, or (an Azure DevOps Server without them: 400/404 to the comments
    API) ``System.History``; found out once per run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.history = False

    def use_history(self) -> None:
        with self.lock:
            self.history = True


def run(request: BoardsRequest, deps: Dependencies) -> BoardsResult:
    client, progress = deps.client, deps.progress
    ids = list(request.items)
    found, absent = client.work_items(ids) if ids else ({}, [])
    missing = [n for n in absent if request.items[n].named]
    unknown = [n for n in absent if n not in missing]
    for number in missing:
        progress(f"AB#{number}: not found (or not visible to this identity); failed")
    for number in unknown:
        progress(f"AB#{number}: not found (or not visible to this identity); skipped")
    type_states = states.TypeStates(client)
    mode = _CommentMode()
    results = {n: ItemResult(n, found_in=request.items[n].sources) for n in ids if n in found}

    def work(number: int) -> ItemResult:
        result = results[number]
        try:
            _update(request, client, found[number], result, type_states, mode)
        except Exception as error:  # this item only
            result.fail("update", error)
        progress(_progress_line(result))
        return result

    workers = max(1, min(request.concurrency, len(results) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="boards") as pool:
        done = list(pool.map(work, list(results)))
    return BoardsResult(done, unknown, missing, request.dry_run, client.requests)


def _progress_line(result: ItemResult) -> str:
    steps = ", ".join(
        state if state.startswith(WOULD) else f"{step} {state}"
        for step, state in result.actions.items()
    )
    return f"{result.key}: {steps or 'nothing to do'}"


def _target(
    request: BoardsRequest, item: WorkItem, type_states: states.TypeStates, fixed: bool
) -> str:
    """The state ``item`` should reach ("" for none); a CibridgeError names the valid ones."""
    wanted = request.state or request.state_category or (request.resolve_fixed and fixed)
    if not wanted:
        return ""
    known: Sequence[State] = type_states.of(item.type)
    target = ""
    if request.state:
        target = states.by_name(item, known, request.state)
    elif request.state_category:
        target = states.by_category(item, known, request.state_category)
    if request.resolve_fixed and fixed:
        resolved = states.by_category(item, known, "Resolved")
        chosen = target or item.state
        # Fixed moves an item on to Resolved, never back from Resolved or Completed.
        if states.is_before(known, chosen, "Resolved"):
            target = resolved
    return target


def _update(
    request: BoardsRequest,
    client: BoardsClient,
    item: WorkItem,
    result: ItemResult,
    type_states: states.TypeStates,
    mode: _CommentMode,
) -> None:
    result.title, result.type = item.title, item.type
    result.from_state = result.to_state = item.state
    try:
        target = _target(request, item, type_states, request.items[item.id].fixed)
    except Exception as error:  # the tags, links and comment still go
        result.fail("state", error)
        target = ""
    already = False
    history = ""
    if request.comment is not None:
        try:
            already = _commented(client, item.id, request.marker, mode)
            if already:
                result.actions["comment"] = (
                    "skipped: already commented for this run and environment"
                )
            elif mode.history:
                history = comments.as_history(comments.with_marker(request.comment, request.marker))
        except Exception as error:
            result.fail("comment", error)
            already = True  # not posted blindly: a rerun could not tell it was there
    _patch(request, client, item, result, target, history)
    if request.comment is not None and not already and not history:
        _comment(request, client, item, result, mode)


def _commented(client: BoardsClient, number: int, marker: str, mode: _CommentMode) -> bool:
    from cibridge.clients.azure_devops import BoardsError

    if not mode.history:
        try:
            return any(marker in text for text in client.comments(number))
        except BoardsError as error:
            if error.status not in (400, 404):
                raise
            mode.use_history()  # no comments API here (an older Azure DevOps Server)
    return any(marker in text for text in client.history(number))


def _patch(
    request: BoardsRequest,
    client: BoardsClient,
    item: WorkItem,
    result: ItemResult,
    target: str,
    history: str,
) -> None:
    """One PATCH for state, tags, links (and history); read again and sent once more after
    a concurrent edit; without the state when a rule refuses only the state."""
    from cibridge.clients.azure_devops import BoardsError

    current, with_state = item, True
    for attempt in range(3):
        state = target if with_state and target and target != current.state else ""
        tags = patch.new_tags(current, request.tags)
        links = patch.new_links(current, request.links)
        _record_skips(request, result, current, target, tags, links, with_state)
        if not (state or tags or links or history):
            return
        ops = patch.document(current, state=state, tags=tags, links=links, history=history)
        try:
            updated = client.update(current.id, ops)
        except BoardsError as error:
            retry = error.changed or error.link_exists
            if retry and attempt == 0:
                current = client.work_item(current.id)  # someone else wrote: read, redo
                continue
            rule = error.rule()
            # A rule refusing a field while the state changes is the state's rule (a field
            # the new state requires): the rest is sent again without the state.
            if rule and state and (tags or links or history):
                result.fail("state", _rule_error(error, current, target))
                with_state = False
                continue
            failed = _rule_error(error, current, target) if rule else error
            for step, wanted in (("state", state), ("tags", tags), ("links", links)):
                if wanted:
                    result.fail(step, failed)
                    failed = _again(failed)
            if history:
                result.fail("comment", failed)
            return
        _record_done(request, result, state, tags, links, history, updated)
        return


def _again(error: CibridgeError) -> CibridgeError:
    """The same failure for the item's next step, said once in the report."""
    return CibridgeError(
        "not applied: the same update was refused (one request carries state, tags and links)",
        exit_code=error.exit_code,
    )


def _rule_error(error: Any, item: WorkItem, target: str) -> CibridgeError:
    """TF401320 with the field named and what it allows, as far as cibridge knows it."""
    rule = error.rule()
    if not rule:
        return error  # type: ignore[no-any-return]
    field_name, codes = rule
    moving = f" while moving from {item.state!r} to {target!r}" if target else ""
    return CibridgeError(
        f"AB#{item.id}: a rule of the {item.type} type refused field {field_name}{moving}: {codes}",
        exit_code=EXIT_FAILURE,
        hint="the process's rules for this field decide (Organization settings > Process > "
        f"{item.type} > Rules): a required field may be empty, or the value not in its allowed "
        "values; set them on the work item, or pick a state its rules allow",
    )


def _record_skips(
    request: BoardsRequest,
    result: ItemResult,
    item: WorkItem,
    target: str,
    tags: Sequence[str],
    links: Sequence[patch.Link],
    with_state: bool,
) -> None:
    if target and with_state and target == item.state:
        result.actions["state"] = f"skipped: already {item.state}"
    if request.tags and not tags:
        result.actions["tags"] = "skipped: already tagged"
    if request.links and not links:
        result.actions["links"] = "skipped: already linked"


def _record_done(
    request: BoardsRequest,
    result: ItemResult,
    state: str,
    tags: Sequence[str],
    links: Sequence[patch.Link],
    history: str,
    updated: WorkItem | None,
) -> None:
    dry = request.dry_run
    if state:
        result.actions["state"] = f"{WOULD}move to {state}" if dry else "done"
        if not dry:
            result.to_state = updated.state if updated and updated.state else state
    if tags:
        result.actions["tags"] = f"{WOULD}tag {', '.join(tags)}" if dry else "done"
    if links:
        result.actions["links"] = f"{WOULD}add {len(links)} link(s)" if dry else "done"
    if history:
        result.actions["comment"] = f"{WOULD}comment (history)" if dry else "done (history)"


def _comment(
    request: BoardsRequest,
    client: BoardsClient,
    item: WorkItem,
    result: ItemResult,
    mode: _CommentMode,
) -> None:
    from cibridge.clients.azure_devops import BoardsError

    assert request.comment is not None
    text = comments.with_marker(request.comment, request.marker)
    try:
        client.add_comment(item.id, text)
        result.actions["comment"] = f"{WOULD}comment" if request.dry_run else "done"
        return
    except BoardsError as error:
        if error.status not in (400, 404) or error.code:
            result.fail("comment", error)
            return
        mode.use_history()  # format=markdown unknown here: the comment goes as history
    except Exception as error:
        result.fail("comment", error)
        return
    try:
        ops = [{"op": "add", "path": "/fields/System.History", "value": comments.as_history(text)}]
        client.update(item.id, ops)
        result.actions["comment"] = "done (history)"
    except Exception as error:
        result.fail("comment", error)
