"""``cibridge trigger`` as a service: a TriggerRequest in, a TriggerResult out.

For each issue (named, from an event, or found by polling) it reads the issue from Jira,
applies the rules, and for each match reads the exactly-once record; with ``dispatch`` it
starts what was not started yet and records it. One issue or pipeline failing never stops
the others; the exit code is the worst outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from cibridge.clients.jira import jql
from cibridge.clients.targets import Here, Target, resolve
from cibridge.core.durations import seconds_text
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.trigger import once, poll, rules, targets
from cibridge.trigger.source import Source

if TYPE_CHECKING:
    from cibridge.clients.jira import Issue, JiraClient
    from cibridge.clients.pipelines import Dispatcher, Started
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
    here: Here = field(default_factory=Here)
    concurrency: int = 8  # issues evaluated at once
    trigger_key: str = ""  # CIBRIDGE_TRIGGER_KEY: signs and verifies the record's entries
    events_chain: str = ""  # this run's CDEvents chain, the {{ events_chain }} placeholder


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
class Release:
    """A version rule's match on one issue: dispatched once per release and pipeline, after
    every issue of the release was read."""

    match: Match
    record: once.Record
    keep: frozenset[str]  # the issue's entries that still match (never evicted)


@dataclass
class Part:
    """One issue's share of the result (issues run concurrently; parts merge in order)."""

    outcomes: list[Outcome] = field(default_factory=list)
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: list[IssueError] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)


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
        # An issue event is not a release: a version rule fires on the release itself, or
        # an old released version given to a new issue would deploy that version again.
        chosen = [r for r in deps.rules if r.name != rules.VERSION]
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
    if (
        not request.poll
        and not request.source.version
        and any(r.name == rules.VERSION and r.enabled for r in deps.rules)
    ):
        for key in request.source.keys:
            result.reasons.setdefault(key, {})[rules.VERSION] = (
                "fires on a release (a jira:version_released delivery, or a poll), "
                "not on an issue event"
            )
    groups: dict[tuple[str, str], list[Release]] = {}
    for part in parts:
        for release in part.releases:
            if request.source.version and not _delivered(release.match, request.source):
                continue  # its issues' other versions: not this release, never started by it
            groups.setdefault((release.match.pipeline, release.match.change), []).append(release)
    for members in groups.values():
        _release(sorted(members, key=lambda r: r.match.issue), request, deps, result)
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
    started: dict[str, tuple[Match, str, str]] = {}  # pipeline -> (match, detail, url)
    for match in verdict.matches:
        change = once.change_of(match, history)
        key = once.entry_key(match, change)
        if match.rule == rules.VERSION:
            result.releases.append(Release(match, record, current))
            continue
        done = record.get(key)
        try:
            target = resolve(match.pipeline, deps.config, request.here, targets.DEFAULTS)
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
        if match.pipeline in started:
            # One change, one pipeline, one run: two labels (or a status and a label) mapped
            # to the same pipeline share the run the first one started.
            first, detail, url = started[match.pipeline]
            same = f"started once for {first.why} and {match.why}: {detail}"
            if not request.dry_run:
                _record(deps, request, record, [key], current, shown)
            result.outcomes.append(Outcome(match, shown, ALREADY, same, url))
            continue
        change = once.change_id(issue.key, key, request.trigger_key)
        try:
            confirmed = _confirmed(target, change, request, deps)
            if confirmed is not None:
                if not request.dry_run:
                    _record(deps, request, record, [key], current, shown)
                detail = f"already started: {confirmed.detail}"
                result.outcomes.append(Outcome(match, shown, ALREADY, detail, confirmed.url))
                continue
            begun = deps.dispatcher.start(target, _filled(target, match, request, change))
        except CibridgeError as error:
            # Nothing is recorded: the next delivery or poll tries again.
            result.outcomes.append(Outcome(match, shown, FAILED, str(error), "", error.exit_code))
            continue
        started[match.pipeline] = (match, begun.detail, begun.url)
        if request.dry_run:
            result.outcomes.append(Outcome(match, shown, WOULD, _would(begun, [issue.key])))
            continue
        problem = _record(deps, request, record, [key], current, shown)
        result.outcomes.append(_started(match, shown, begun, problem))


def _filled(target: Target, match: Match, request: TriggerRequest, change: str) -> dict[str, str]:
    values = targets.values(match, request.environment, change, request.events_chain)
    return target.fill(values, match.pipeline)


def _record(
    deps: Dependencies,
    request: TriggerRequest,
    record: once.Record,
    keys: list[str],
    keep: frozenset[str],
    shown: str,
) -> str:
    """Write ``keys`` into the issue's record; "" when written, else why not."""
    try:
        for key in keys:
            record.add(key, request.run, shown, request.now, keep=keep)
            once.write(deps.client, record, key, keep=keep)
    except CibridgeError as error:
        return f"the record could not be written to {record.issue}: {error}"
    return ""


def _started(match: Match, shown: str, begun: Started, problem: str) -> Outcome:
    if problem:
        message = f"{begun.detail}, but {problem} (a rerun would start it again)"
        return Outcome(match, shown, UNRECORDED, message, begun.url, EXIT_FAILURE)
    return Outcome(match, shown, DISPATCHED, begun.detail, begun.url)


def _confirmed(
    target: Target, change: str, request: TriggerRequest, deps: Dependencies
) -> Started | None:
    """The target's own run for this change, when the target can say: a pipeline whose
    inputs carry ``{{ change_id }}`` and show it in the run's title. The record on the issue
    can be erased by anyone who edits it; the target's run history cannot."""
    if not target.carries_change_id or request.dry_run:
        return None
    return deps.dispatcher.started_with(target, change)


def _delivered(match: Match, source: Source) -> bool:
    """Whether ``match`` is the version a jira:version_released delivery names."""
    if source.version_id:
        return match.change == f"version:{source.version_id}"
    return match.version == source.version


def _would(begun: Started, issues: list[str]) -> str:
    return f"{begun.detail}, then would record it in {once.PROPERTY} of {', '.join(issues)}"


def _release(
    members: list[Release], request: TriggerRequest, deps: Dependencies, result: TriggerResult
) -> None:
    """One version released, one pipeline: one dispatch for all the release's issues, and
    each issue's record names it, so a rerun or an issue given that version later finds it."""
    first = members[0].match
    keys = [m.match.issue for m in members]
    key = once.entry_key(first, first.change)
    summary = first.summary if len(keys) == 1 else f"{first.version}: {len(keys)} issues"
    match = replace(first, issue=",".join(keys), summary=summary)
    done = next((m.record.get(key) for m in members if m.record.get(key)), None)
    if done is None and request.dispatch:
        # About to start something: the records themselves, not a search's copies.
        for member in members:
            member.record = once.read(deps.client, member.match.issue, request.trigger_key)
        done = next((m.record.get(key) for m in members if m.record.get(key)), None)
    if done is not None:
        by = str(done.get("run") or "an earlier run")
        result.outcomes.append(Outcome(match, "", ALREADY, f"already dispatched by {by}"))
        return
    stale = _before_window(first, request, deps.rules)
    if stale:
        deps.say(f"{match.issue}: {first.rule} → {first.pipeline}: not started, {stale}")
        return
    try:
        target = resolve(first.pipeline, deps.config, request.here, targets.DEFAULTS)
    except CibridgeError as error:
        state = FAILED if request.dispatch else MATCHED
        result.outcomes.append(Outcome(match, "", state, str(error), "", error.exit_code))
        return
    shown = target.describe()
    if not request.dispatch:
        result.outcomes.append(Outcome(match, shown, MATCHED, f"{match.why} → {match.pipeline}"))
        return
    change = once.change_id("release", key, request.trigger_key)
    try:
        confirmed = _confirmed(target, change, request, deps)
        if confirmed is None:
            begun = deps.dispatcher.start(target, _filled(target, match, request, change))
    except CibridgeError as error:
        result.outcomes.append(Outcome(match, shown, FAILED, str(error), "", error.exit_code))
        return
    if confirmed is not None:
        for member in members:
            if not request.dry_run:
                _record(deps, request, member.record, [key], member.keep, shown)
        detail = f"already started: {confirmed.detail}"
        result.outcomes.append(Outcome(match, shown, ALREADY, detail, confirmed.url))
        return
    if request.dry_run:
        result.outcomes.append(Outcome(match, shown, WOULD, _would(begun, keys)))
        return
    problems = [
        problem
        for member in members
        if (problem := _record(deps, request, member.record, [key], member.keep, shown))
    ]
    result.outcomes.append(_started(match, shown, begun, "; ".join(problems)))


def _before_window(match: Match, request: TriggerRequest, configured: list[Rule]) -> str:
    """Why a poll leaves this release alone, or "": a poll starts recent releases only, so
    its first run never redeploys the releases of years past (a jira:version_released
    delivery is the release itself and always counts)."""
    if not request.poll:
        return ""
    within = next((r.released_within for r in configured if r.name == rules.VERSION), 0.0)
    try:
        today = datetime.fromisoformat(request.now.replace("Z", "+00:00")).date()
    except ValueError:
        today = date.today()
    oldest = today - timedelta(seconds=within)
    what = f"version {match.version}"
    if not match.released:
        return f"{what} has no release date: a poll cannot tell it is recent (not started)"
    try:
        released = date.fromisoformat(match.released[:10])
    except ValueError:
        return f"{what} has a release date Jira wrote as {match.released[:20]!r} (not started)"
    if released < oldest:
        return (
            f"{what} was released on {released}, before this poll's window "
            f"(released_within {seconds_text(within)}): a poll starts recent releases only"
        )
    return ""
