"""``cibridge trigger`` as a service: a TriggerRequest in, a TriggerResult out.

For each issue (named, from an event, or found by polling) it reads the issue from Jira,
applies the rules, and for each match reads the exactly-once record; with ``dispatch`` it
starts what was not started yet and records it. One issue or pipeline failing never stops
the others; the exit code is the worst outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.clients.jira import jql
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.trigger import once, poll, rules, targets
from cibridge.trigger.source import Source

if TYPE_CHECKING:
    from cibridge.clients.jira import Issue, JiraClient
    from cibridge.clients.pipelines import Dispatcher
    from cibridge.config.loader import Config
    from cibridge.trigger.rules import Match, Rule

DISPATCHED, ALREADY, MATCHED, WOULD, FAILED, UNRECORDED = (
    "dispatched",
    "already dispatched",
    "matched",
    "would dispatch",
    "failed",
    "dispatched, not recorded",  # started, but a rerun would start it again
)


@dataclass
class TriggerRequest:
    source: Source = field(default_factory=Source)
    poll: bool = False
    poll_filter: str = ""
    dispatch: bool = False
    dry_run: bool = False
    run: str = ""  # this run, as the record names it (run URL, else id)
    environment: str = ""
    now: str = ""  # ISO time written into the record
    here: targets.Here = field(default_factory=targets.Here)
    concurrency: int = 8  # issues evaluated at once
    trigger_key: str = ""  # CIBRIDGE_TRIGGER_KEY: signs and verifies the record's entries


@dataclass
class Outcome:
    match: Match
    target: str
    state: str
    detail: str
    url: str = ""
    exit_code: int = EXIT_OK


@dataclass
class IssueError:
    issue: str
    message: str
    exit_code: int = EXIT_FAILURE


@dataclass
class Part:
    """One issue's share of the result (issues run concurrently; parts merge in order)."""

    outcomes: list[Outcome] = field(default_factory=list)
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: list[IssueError] = field(default_factory=list)


@dataclass
class TriggerResult:
    outcomes: list[Outcome] = field(default_factory=list)
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)  # issue -> rule -> why
    errors: list[IssueError] = field(default_factory=list)
    candidates: poll.Candidates | None = None
    issues: int = 0  # issues evaluated

    @property
    def exit_code(self) -> int:
        codes = [o.exit_code for o in self.outcomes] + [e.exit_code for e in self.errors]
        return max(codes, default=EXIT_OK)

    def count(self, *states: str) -> int:
        return sum(1 for o in self.outcomes if o.state in states)


@dataclass
class Dependencies:
    client: JiraClient
    dispatcher: Dispatcher
    config: Config
    rules: list[Rule]
    say: Callable[[str], None] = print


def run(request: TriggerRequest, deps: Dependencies) -> TriggerResult:
    result = TriggerResult()
    chosen = deps.rules
    if request.poll:
        found = poll.candidates(deps.client, chosen, request.poll_filter)
        result.candidates = found
        issues: list[Issue | str] = list(found.issues)
        queries = len(found.queries)
        deps.say(
            f"poll: {len(found.issues)} candidate(s) from {queries} "
            f"{'query' if queries == 1 else 'queries'}, {found.cost.requests} search request(s)"
        )
    elif request.source.version:
        # jira:version_released names a version; its issues are read from Jira, and only
        # the version rule applies (the release is the change).
        chosen = [r for r in deps.rules if r.name == rules.VERSION]
        query = f"fixVersion = {jql.quote(request.source.version)}"
        # A search can list an issue twice (v2 paging while issues change): once each, or
        # two workers would both pass the record check and start it twice.
        issues = list({i.key: i for i in once.search(deps.client, query)}.values())
        deps.say(
            f"version {request.source.version}: {len(issues)} issue(s) ({request.source.origin})"
        )
    else:
        issues = list(request.source.keys)

    def evaluate(item: Issue | str) -> Part:
        part = Part()
        key = item if isinstance(item, str) else item.key
        try:
            issue = once.current(deps.client, item) if isinstance(item, str) else item
            _one(issue, chosen, request, deps, part)
        except CibridgeError as error:
            part.errors.append(IssueError(key, str(error), error.exit_code))
        return part

    workers = max(1, min(request.concurrency, len(issues)))
    if workers == 1:
        parts = [evaluate(item) for item in issues]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(evaluate, issues))  # results in the issues' order
    for part in parts:
        result.outcomes += part.outcomes
        result.reasons.update(part.reasons)
        result.errors += part.errors
    if result.candidates is not None:
        for rule, error in result.candidates.errors.items():
            result.errors.append(IssueError(f"poll {rule}", str(error), error.exit_code))
    result.issues = len(issues)
    return result


def _one(
    issue: Issue,
    chosen: list[Rule],
    request: TriggerRequest,
    deps: Dependencies,
    result: Part,
) -> None:
    verdict = rules.evaluate(chosen, issue)
    if verdict.reasons:
        result.reasons[issue.key] = dict(verdict.reasons)
    if not verdict.matches:
        return
    # A search or GET that carried the record and the whole history costs nothing more;
    # otherwise each is read once for the issue.
    record = once.carried(issue, request.trigger_key)
    fresh = record is None
    if record is None:
        record = once.read(deps.client, issue.key, request.trigger_key)
    for warning in record.warnings:
        deps.say(f"warning: {warning}")
    history = issue.history
    fields = tuple({m.history_field for m in verdict.matches if m.history_field})
    if history is None:  # not carried, or cut short: the whole history, paged
        history = deps.client.changes(issue.key, fields) if fields else []
    # Entries of what still matches are never evicted to make room: that would start them again.
    current = frozenset(once.entry_key(m, once.change_of(m, history)) for m in verdict.matches)
    for match in verdict.matches:
        change = once.change_of(match, history)
        key = once.entry_key(match, change)
        done = record.get(key)
        try:
            target = targets.resolve(match.pipeline, deps.config, request.here)
        except CibridgeError as error:
            if done is None and request.dispatch:
                result.outcomes.append(Outcome(match, "", FAILED, str(error), "", error.exit_code))
                continue
            target = None
        shown = target.describe() if target is not None else "(no target)"
        if done is None and request.dispatch and target is not None and not fresh:
            # About to start something: read the record itself, not a search's copy of it.
            record, fresh = once.read(deps.client, issue.key, request.trigger_key), True
            done = record.get(key)
        if done is not None:
            by = str(done.get("run") or "an earlier run")
            result.outcomes.append(Outcome(match, shown, ALREADY, f"already dispatched by {by}"))
            continue
        if not request.dispatch or target is None:
            result.outcomes.append(
                Outcome(match, shown, MATCHED, f"{match.why} → {match.pipeline}")
            )
            continue
        try:
            started = deps.dispatcher.start(target, target.fill(match, request.environment))
        except CibridgeError as error:
            # Nothing is recorded: the next delivery or poll tries again.
            result.outcomes.append(Outcome(match, shown, FAILED, str(error), "", error.exit_code))
            continue
        if request.dry_run:
            result.outcomes.append(Outcome(match, shown, WOULD, started.detail))
            continue
        try:
            record.add(key, request.run, shown, request.now, keep=current)
            once.write(deps.client, record, key, keep=current)
        except CibridgeError as error:
            message = (
                f"{started.detail}, but the record could not be written to {issue.key} "
                f"(a rerun would start it again): {error}"
            )
            result.outcomes.append(
                Outcome(match, shown, UNRECORDED, message, started.url, EXIT_FAILURE)
            )
            continue
        result.outcomes.append(Outcome(match, shown, DISPATCHED, started.detail, started.url))
