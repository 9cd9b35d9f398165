"""Which issues a run ships: keys from the commits in range, the pull request and branch,
a ``--since`` range, explicit keys or any text."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from cibridge.clients.jira.keys import parse_key
from cibridge.context import gitlog
from cibridge.context.model import MAX_COMMITS, ZERO_SHA, Context
from cibridge.core.errors import CibridgeError, failure
from cibridge.jira.service import NAMED

MAX_ISSUES = 100  # per run: a commit naming PROJ-1 … PROJ-255 is a typo, not a release
MAX_ISSUES_SETTING = ("integration_configs", "project_management", "jira", "max_issues")
_LISTED = 5  # keys shown in the message; the rest are counted


def named(values: Sequence[str]) -> dict[str, list[str]]:
    """The keys given with ``--issue``, each checked on its own: a value that is not a key is a
    usage error rather than an issue quietly left alone."""
    found: dict[str, list[str]] = {}
    for value in values:
        key = parse_key(value.strip())
        if key is None:
            raise CibridgeError(
                f"--issue {value[:60]!r} is not a Jira issue key",
                hint="a key is the project key, a dash and a number: --issue PROJ-123",
            )
        found.setdefault(key, [NAMED])
    return found


@dataclass
class Discovery:
    issues: Sequence[str] = ()  # --issue
    texts: Sequence[str] = ()  # --issues-from-text
    since: str = ""  # --since REF
    from_context: bool = True
    projects: Collection[str] = field(default_factory=tuple)


def texts(discovery: Discovery, context: Context, cwd: str) -> list[tuple[str, str]]:
    """(source, text) pairs to look for keys in, most specific first."""
    found: list[tuple[str, str]] = [("--issues-from-text", text) for text in discovery.texts]
    if discovery.since:
        if not gitlog.is_commit(cwd, discovery.since):
            raise CibridgeError(
                f"--since {discovery.since[:80]!r}: not a commit in this checkout",
                hint="name a tag, branch or commit (git tag --list); fetch tags with "
                "git fetch --tags",
            )
        commits = gitlog.commits(cwd, f"{discovery.since}..{context.sha or 'HEAD'}")
        if commits is None:
            raise CibridgeError(
                f"--since {discovery.since}: git cannot list {discovery.since}..HEAD here",
                hint="fetch the full history (actions/checkout fetch-depth: 0, GitLab "
                "GIT_DEPTH: 0) and the tag (git fetch --tags)",
            )
        found += [(f"commit {c.short_sha}", c.message) for c in commits]
    if not discovery.from_context:
        return found
    if context.pull_request:
        found.append(("pull request title", context.pull_request.title))
        found.append(("pull request branch", context.pull_request.source_branch))
    elif context.branch:
        found.append(("branch", context.branch))
    found += [(f"commit {c.short_sha}", c.message) for c in _commits(context, cwd)]
    return found


def _commits(context: Context, cwd: str):  # type: ignore[no-untyped-def]
    """The context's commits; a push payload capped at 2048 commits is completed from git."""
    base = context.range_base
    if len(context.commits) >= MAX_COMMITS and base and base != ZERO_SHA and context.sha:
        complete = gitlog.commits(cwd, f"{base}..{context.sha}", max_count=None)
        if complete:
            return complete
    return context.commits


def check_cap(found: Collection[str], cap: int) -> None:
    """Refuse the whole run, before any lookup or write, when more keys than ``cap`` were
    found: moving a few and not the rest would be harder to undo than moving none."""
    if len(found) <= cap:
        return
    from cibridge.report.outputs import listed

    keys = sorted(found)
    raise failure(
        f"found {len(keys)} issue keys, more than --max-issues {cap}: nothing was changed "
        f"({listed(keys, _LISTED)})",
        hint="raise --max-issues (or max_issues under integration_configs.project_management."
        "jira) if the run really ships that many issues, or name them with --issue",
    )
