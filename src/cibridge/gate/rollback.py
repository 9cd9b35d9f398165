"""``gate --dispatch``: the rollback pipeline started exactly once per commit and environment.

The record is a commit status on the deployed commit, context ``cibridge/rollback/<env>``,
state ``success``, description ``rollback dispatched: <target>`` and the rollback run as
its target URL. It is read before dispatching and written only after the service accepted
the dispatch; a re-run of the job, or a second gate job for the same commit and
environment, finds it and dispatches nothing, saying where the first rollback went. A
later status of the same context is added beside it, never over it: anyone with write
access could add one, but only a ``success`` one counts, and that says a rollback started.

Reading the statuses failing is an error, never a blind dispatch. A refused dispatch
writes nothing, so the next run tries again. Two gate jobs racing in the same second can
both miss the record (statuses have no compare-and-set): serialise them with a GitHub
``concurrency`` group or a GitLab ``resource_group``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cibridge.clients.targets import Defaults
from cibridge.core.errors import EXIT_FAILURE, CibridgeError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cibridge.clients.pipelines import Started
    from cibridge.clients.statuses import Place, Status
    from cibridge.clients.targets import Target

PREFIX = "cibridge/rollback"
STATE = "success"  # the dispatch happened; "pending" would read as a check still running
# GitHub refuses a context over 255 characters and a description over 140; GitLab's
# name is kept within the same 255.
MAX_CONTEXT = 255
MAX_DESCRIPTION = 140
_HASHED = 12  # hex digits of the environment's hash when its name is cut

# What a rollback dispatch carries when pipelines.<name> names no inputs / variables.
DEFAULTS = Defaults(
    github_inputs={"environment": "{{ environment }}", "sha": "{{ sha }}"},
    gitlab_variables={
        "ROLLBACK_ENVIRONMENT": "{{ environment }}",
        "ROLLBACK_SHA": "{{ sha }}",
    },
)


def context_for(environment: str) -> str:
    """``cibridge/rollback/<environment>`` within 255 characters. A name too long is cut
    and ends in a hash of the whole name, so two long names never share a record."""
    if not environment:
        return PREFIX
    context = f"{PREFIX}/{environment}"
    if len(context) <= MAX_CONTEXT:
        return context
    digest = hashlib.sha256(environment.encode()).hexdigest()[:_HASHED]
    keep = MAX_CONTEXT - len(PREFIX) - 1 - len(digest) - 1
    return f"{PREFIX}/{environment[:keep]}~{digest}"


def description_for(target: str) -> str:
    text = f"rollback dispatched: {target}"
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


class Statuses(Protocol):
    def find(self, place: Place, context: str, state: str) -> Status | None: ...

    def write(
        self, place: Place, context: str, state: str, description: str, target_url: str
    ) -> None: ...


class Starter(Protocol):
    def start(self, target: Target, values: dict[str, str]) -> Started: ...


@dataclass(frozen=True)
class RollbackRequest:
    pipeline: str
    target: Target
    place: Place  # the deployed commit, where the record lives
    environment: str
    values: Mapping[str, str]  # the placeholders of the pipeline's inputs / variables
    dry_run: bool = False
    fallback_url: str = ""  # the record's link when the service names no run (GitHub's 204)


@dataclass(frozen=True)
class RollbackOutcome:
    dispatched: bool
    url: str
    detail: str
    exit_code: int = 0


def run(
    request: RollbackRequest,
    statuses: Statuses,
    starter: Starter,
    say: Callable[[str], None],
) -> RollbackOutcome:
    """Start the rollback unless the commit's record says it was started. Raises when the
    record cannot be read or the dispatch is refused: nothing is written then."""
    context = context_for(request.environment)
    shown = request.target.describe()
    where = request.place.describe()
    if request.dry_run:
        say(
            f"rollback: would read commit status {context} of {where}; unless it is there, "
            f"would start {shown} and then write that status ({STATE})"
        )
        return RollbackOutcome(False, "", f"would start {shown}")
    found = statuses.find(request.place, context, STATE)
    if found is not None:
        went = (
            " ".join(
                part
                for part in (found.description, f"({found.target_url})" if found.target_url else "")
                if part
            )
            or "by an earlier run"
        )
        say(f"rollback: not dispatched again, {context} on {where} says: {went}")
        return RollbackOutcome(False, found.target_url, f"already dispatched: {went}")
    began = starter.start(request.target, request.target.fill(request.values, request.pipeline))
    url = began.url or request.fallback_url
    say(f"rollback: {began.detail}" + (f" ({url})" if url else ""))
    try:
        statuses.write(request.place, context, STATE, description_for(shown), url)
    except CibridgeError as error:
        # Started, but a re-run would start it again: say so loudly (exit 1).
        detail = f"{began.detail}, but the record {context} could not be written: {error}"
        return RollbackOutcome(True, url, detail, EXIT_FAILURE)
    return RollbackOutcome(True, url, began.detail)
