"""A ``workitem.updated`` delivery in, each matching pipeline started once.

Exactly once, with nothing kept on the work item: every pipeline a Boards rule starts must
carry ``{{ change_id }}`` and show it in its run's title, and before starting one cibridge
asks the target whether a run already carries it (the ``change_id`` confirmation of the
Jira triggers, ``service._confirmed``). The started run is the record: Azure Boards users
who can edit the work item cannot touch it, and the id is an HMAC under the trigger key
only CI holds, so who can start runs of the target cannot make one that stands for a
change before cibridge does. A work item has no signed, CI-only place for a record the way
a Jira issue property signed with the key is one, and none is needed here.

With Azure DevOps settings the delivery is only a pointer: ``boards_poll.confirm`` reads
the update and the item, and the rules see the server's answer. The change is the update
(work item id and revision): the Service Hook retrying its
delivery is the same change and starts nothing new; moving the item out of the state and
back in is a new update and deploys again. Two rules or tags of one update mapped to the
same pipeline share its run (the id is per work item, pipeline and revision).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.clients.targets import resolve
from cibridge.core.errors import EXIT_USAGE, CibridgeError
from cibridge.trigger import boards, once, targets
from cibridge.trigger.service import (
    ALREADY,
    DISPATCHED,
    FAILED,
    MATCHED,
    WOULD,
    Outcome,
    TriggerRequest,
    TriggerResult,
)

if TYPE_CHECKING:
    from cibridge.clients.pipelines import Dispatcher
    from cibridge.config.loader import Config
    from cibridge.trigger.boards import BoardsRule, WorkItemChange
    from cibridge.trigger.rules import Match

NEEDS_CHANGE_ID = (
    "a pipeline a Boards rule starts must carry {{ change_id }} in its inputs (GitHub) or "
    "variables (GitLab) and show it in its run's title (run-name / workflow: name): that "
    "run is the record that it started"
)


def entry(match: Match) -> str:
    """What one change means to one pipeline, whichever rule matched it."""
    return f"azure_devops|{match.pipeline}|{match.change}"


def run(
    item: WorkItemChange,
    request: TriggerRequest,
    configured: list[BoardsRule],
    config: Config,
    dispatcher: Dispatcher,
) -> TriggerResult:
    result = TriggerResult(issues=1)
    verdict = boards.evaluate(configured, item)
    if verdict.reasons:
        result.reasons[item.key] = dict(verdict.reasons)
    started: dict[str, Outcome] = {}
    for match in verdict.matches:
        if match.pipeline in started:
            first = started[match.pipeline]
            detail = f"started once for {first.match.why} and {match.why}: {first.detail}"
            state = first.state if first.state in (FAILED, MATCHED) else ALREADY
            result.outcomes.append(
                Outcome(match, first.target, state, detail, first.url, first.exit_code)
            )
            continue
        outcome = _one(item, match, request, config, dispatcher)
        started[match.pipeline] = outcome
        result.outcomes.append(outcome)
    return result


def _one(
    item: WorkItemChange,
    match: Match,
    request: TriggerRequest,
    config: Config,
    dispatcher: Dispatcher,
) -> Outcome:
    try:
        target = resolve(match.pipeline, config, request.here, boards.DEFAULTS)
    except CibridgeError as error:
        state = FAILED if request.dispatch else MATCHED
        return Outcome(match, "", state, str(error), "", error.exit_code)
    shown = target.describe()
    if not target.carries_change_id:
        message = f"pipeline {match.pipeline} ({target.where or 'default'}): {NEEDS_CHANGE_ID}"
        return Outcome(match, shown, FAILED, message, "", EXIT_USAGE)
    if not request.dispatch:
        return Outcome(match, shown, MATCHED, f"{match.why} → {match.pipeline}")
    change = once.change_id(item.key, entry(match), request.trigger_key)
    values = {
        **targets.values(match, request.environment, change, request.events_chain),
        "work_item_id": str(item.id),
    }
    try:
        confirmed = None if request.dry_run else dispatcher.started_with(target, change)
        if confirmed is not None:
            detail = f"already started: {confirmed.detail}"
            return Outcome(match, shown, ALREADY, detail, confirmed.url)
        begun = dispatcher.start(target, target.fill(values, match.pipeline))
    except CibridgeError as error:
        return Outcome(match, shown, FAILED, str(error), "", error.exit_code)
    if request.dry_run:
        return Outcome(match, shown, WOULD, f"{begun.detail} (change id {change})")
    return Outcome(match, shown, DISPATCHED, f"{begun.detail} (change id {change})", begun.url)
