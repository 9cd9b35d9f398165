"""The jira use case: update every issue the shipped commits reference.

Issues are worked on in parallel (bounded); the requests for one issue run in order. Each
issue ends with its own verdict: one that fails never stops the others, and nothing that
is not idempotent is retried blindly (the transport's rule).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import BUG_HINT, EXIT_BUG, EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.clients.jira import Issue, JiraClient
    from cibridge.jira.deployments import Deployment

DEFAULT_CONCURRENCY = 8


@dataclass
class JiraRequest:
    keys: dict[str, list[str]]  # key -> where it was found
    transition: str = ""
    resolution: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    comment: str | None = None  # rendered comment (Markdown subset); None: no comment
    comment_marker: Mapping[str, str] = field(default_factory=dict)  # run + environment
    remote_link: tuple[str, str] | None = None  # (url, title)
    link_to: Sequence[str] = ()
    link_type: str = "Relates"
    fix_version: str = ""
    release_version: bool = False
    release_date: str = ""
    strict: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    deployment: Deployment | None = None  # record it with the Deployments API
    deployment_url: str = ""
    dry_run: bool = False  # writes are printed, not sent: every step says "would"


@dataclass
class IssueResult:
    key: str
    summary: str = ""
    from_status: str = ""
    to_status: str = ""
    found_in: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)  # step -> done | skipped: why | failed
    errors: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, step: str, error: Exception) -> None:
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
            "key": self.key,
            "summary": self.summary,
            "from": self.from_status,
            "to": self.to_status,
            "actions": self.actions,
            "ok": self.ok,
        }


NAMED = "--issue"  # the source of a key named on purpose


@dataclass
class JiraResult:
    issues: list[IssueResult]
    unknown: list[str]  # found in text, not in Jira: skipped
    strict: bool
    deployment: str = ""  # what was recorded, or why not
    deployment_code: int = EXIT_OK
    missing: list[str] = field(default_factory=list)  # named with --issue, not in Jira: failed
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        worst = max((issue.exit_code for issue in self.issues), default=EXIT_OK)
        if self.missing or (self.strict and self.unknown):
            worst = max(worst, EXIT_FAILURE)
        return max(worst, self.deployment_code)

    def count(self, step: str, state: str) -> int:
        return sum(1 for i in self.issues if i.actions.get(step, "").startswith(state))


def global_id(*parts: str) -> str:
    """A stable remote-link id: the same run and issue upsert one link, never two."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"cibridge:{digest}"


class _Versions:
    """Fix versions per project, looked up and created once even with issues in parallel."""

    def __init__(self, client: JiraClient) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.by_project: dict[str, dict[str, dict[str, Any]]] = {}

    def ensure(self, issue: Issue, name: str) -> dict[str, Any]:
        with self.lock:
            if issue.project not in self.by_project:
                found = self.client.versions(issue.project)
                self.by_project[issue.project] = {str(v.get("name")): v for v in found}
            versions = self.by_project[issue.project]
            if name not in versions:
                versions[name] = self.client.create_version(issue.project_id, name)
            return versions[name]


@dataclass
class Dependencies:
    client: JiraClient
    progress: Callable[[str], None]  # one line per issue as it is done


def run(request: JiraRequest, deps: Dependencies) -> JiraResult:
    client, progress = deps.client, deps.progress
    keys = list(request.keys)
    found, absent = client.issues(keys) if keys else ({}, [])
    # A key someone named is an order: its absence fails the step. One a commit merely
    # mentions may belong to another team's Jira, so it is skipped.
    missing = [key for key in absent if NAMED in request.keys[key]]
    unknown = [key for key in absent if key not in missing]
    for key in missing:
        progress(f"{key}: not found in Jira (or not visible to this account); failed")
    for key in unknown:
        progress(f"{key}: not found in Jira (or not visible to this account); skipped")
    versions = _Versions(client)
    body = _Body(client, request.comment)
    results = {key: IssueResult(key, found_in=request.keys[key]) for key in keys if key in found}

    def work(key: str) -> IssueResult:
        result = results[key]
        try:
            _update(request, client, found[key], result, versions, body)
        except Exception as error:  # this issue only
            result.fail("update", error)
        progress(_progress_line(result))
        return result

    workers = max(1, min(request.concurrency, len(results) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jira") as pool:
        done = list(pool.map(work, list(results)))
    if request.release_version and request.fix_version:
        _release(request, client, versions, done)
    result = JiraResult(done, unknown, request.strict, missing=missing, dry_run=request.dry_run)
    if request.deployment is not None and found:
        _record_deployment(request, client, list(found), result, progress)
    return result


def _record_deployment(
    request: JiraRequest,
    client: JiraClient,
    keys: list[str],
    result: JiraResult,
    progress: Callable[[str], None],
) -> None:
    """One submission for every issue found, whatever happened to each issue's updates: the
    deployment took place either way."""
    from cibridge.jira import deployments

    assert request.deployment is not None
    try:
        outcome = deployments.submit(client, request.deployment_url, request.deployment, keys)
    except CibridgeError as error:
        result.deployment = f"Jira deployment not recorded: {error}"  # reported as an error
        result.deployment_code = error.exit_code
        return
    line = outcome.line(request.deployment, len(keys))
    result.deployment = f"would record {line} (dry run)" if request.dry_run else line
    if outcome.unknown_keys:
        progress(f"Jira deployment: unknown to Jira: {', '.join(outcome.unknown_keys)}")


WOULD = "would "  # a dry run's step state: what would have been done


def _progress_line(result: IssueResult) -> str:
    steps = ", ".join(
        state if state.startswith(WOULD) else f"{step} {state}"
        for step, state in result.actions.items()
    )
    return f"{result.key}: {steps or 'nothing to do'}"


def _done(request: JiraRequest, would: str) -> str:
    """A step's state once its write was sent, or printed instead in a dry run."""
    return WOULD + would if request.dry_run else "done"


def _update(
    request: JiraRequest,
    client: JiraClient,
    issue: Issue,
    result: IssueResult,
    versions: _Versions,
    body: _Body,
) -> None:
    result.summary = issue.summary
    result.from_status = result.to_status = issue.status
    steps: list[tuple[str, Callable[[], str]]] = []
    if request.transition:
        steps.append(("transition", lambda: _transition(request, client, issue, result)))
    if request.comment is not None:
        steps.append(("comment", lambda: _comment(request, client, issue, result, body)))
    if request.remote_link:
        steps.append(("remote link", lambda: _remote_link(request, client, issue)))
    for other in request.link_to:
        steps.append((f"link {other}", functools.partial(_link, request, client, issue, other)))
    if request.fix_version:
        steps.append(("fix version", lambda: _fix_version(request, client, issue, versions)))
    for step, action in steps:
        try:
            result.actions[step] = action()
        except Exception as error:  # the next step of this issue still runs
            result.fail(step, error)


def _transition(request: JiraRequest, client: JiraClient, issue: Issue, result: IssueResult) -> str:
    from cibridge.jira.transitions import choose, required_fields

    wanted = request.transition
    if issue.status.casefold() == wanted.casefold():
        return f"skipped: already {issue.status}"
    available = client.transitions(issue.key)
    chosen = choose(issue, available, wanted)
    fields = required_fields(issue.key, chosen, request.resolution, request.fields)
    client.transition(issue.key, str(chosen["id"]), fields)
    target = str((chosen.get("to") or {}).get("name") or wanted)
    if request.dry_run:
        return _done(request, f"move to {target}")
    result.to_status = target
    return "done"


class _Body:
    """The comment's body in the client's format, converted once for every issue (the
    same Markdown each time); a conversion that fails fails every issue's comment step."""

    def __init__(self, client: JiraClient, markdown: str | None) -> None:
        self.client, self.markdown = client, markdown
        self.lock = threading.Lock()
        self.converted: tuple[Any, BaseException | None] | None = None

    def get(self) -> Any:
        with self.lock:
            if self.converted is None:
                assert self.markdown is not None
                try:
                    self.converted = (_body(self.client, self.markdown), None)
                except Exception as error:  # raised again for each issue, as before
                    self.converted = (None, error)
            body, failure = self.converted
        if failure is not None:
            raise failure
        return body


def _comment(
    request: JiraRequest, client: JiraClient, issue: Issue, result: IssueResult, body: _Body
) -> str:
    marker = dict(request.comment_marker)
    for existing in client.comments(issue.key):
        for prop in existing.get("properties") or []:
            if (
                isinstance(prop, dict)
                and prop.get("key") == "cibridge"
                and prop.get("value") == marker
            ):
                return "skipped: already commented for this run and environment"
    assert request.comment is not None
    # The shared conversion, unless this issue's comment says its transition failed.
    not_moved = _not_moved(request, result)
    converted = _body(client, request.comment + not_moved) if not_moved else body.get()
    client.add_comment(issue.key, converted, marker)
    return _done(request, "comment")


def _not_moved(request: JiraRequest, result: IssueResult) -> str:
    """For an issue whose transition failed, a line saying so: the deployment comment alone
    would read as if the issue had moved on."""
    if result.actions.get("transition") != "failed" or not result.errors:
        return ""
    from cibridge.jira.inline import escape

    reason = result.errors[-1].splitlines()[0].removeprefix(f"{result.key}: ")[:300]
    return f"\n\n**Not moved to {escape(request.transition)}:** {escape(reason)}\n"


def _body(client: JiraClient, markdown: str) -> Any:
    if client.api_version >= 3:
        from cibridge.jira.adf import to_adf

        return to_adf(markdown)
    from cibridge.jira.wiki import to_wiki

    return to_wiki(markdown)


def _remote_link(request: JiraRequest, client: JiraClient, issue: Issue) -> str:
    assert request.remote_link is not None
    url, title = request.remote_link
    client.remote_link(issue.key, global_id(issue.key, url), url, title, issue.summary)
    return _done(request, "add remote link")


def _link(request: JiraRequest, client: JiraClient, issue: Issue, other: str) -> str:
    if other.upper() == issue.key.upper():
        return "skipped: an issue cannot link to itself"
    client.issue_link(issue.key, other, request.link_type)
    return _done(request, f"link to {other}")


def _fix_version(
    request: JiraRequest, client: JiraClient, issue: Issue, versions: _Versions
) -> str:
    if request.fix_version in issue.fix_version_names:
        return f"skipped: already has {request.fix_version}"
    versions.ensure(issue, request.fix_version)
    client.add_fix_version(issue.key, request.fix_version)
    return _done(request, f"add fix version {request.fix_version}")


def _release(
    request: JiraRequest, client: JiraClient, versions: _Versions, results: list[IssueResult]
) -> None:
    for project, by_name in versions.by_project.items():
        version = by_name.get(request.fix_version) or {}
        touched = [r for r in results if r.key.split("-")[0] == project]
        try:
            if version.get("released"):
                state = "skipped: already released"
            else:
                client.release_version(
                    str(version.get("id", "")), request.fix_version, request.release_date
                )
                state = _done(request, f"release {request.fix_version}")
        except Exception as error:  # reported on every issue of that project
            for result in touched:
                result.fail("release", error)
            continue
        for result in touched:
            result.actions["release"] = state
