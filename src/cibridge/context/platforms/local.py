"""Running outside CI: plain text, outputs as key=value lines or JSON."""

from __future__ import annotations

import getpass
from collections.abc import Mapping

from cibridge.context import gitlog
from cibridge.context.model import Context
from cibridge.context.platforms.base import Console


class Local(Console):
    name = "local"

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return local_context(env, cwd)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def local_context(env: Mapping[str, str], cwd: str) -> Context:
    # Few git calls on purpose: each is a process start, and notify runs in every job.
    revs = gitlog.git(cwd, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--show-toplevel") or ""
    sha, branch, top = ([*revs.split(), "", "", ""])[:3]
    settings = (
        gitlog.git(cwd, "config", "--get-regexp", r"^(user\.name|remote\.origin\.url)$") or ""
    )
    values = dict(line.split(" ", 1) for line in settings.splitlines() if " " in line)
    remote = gitlog.web_url(values.get("remote.origin.url", ""))
    tag = (gitlog.git(cwd, "describe", "--tags", "--exact-match") or "").strip() if sha else ""
    context = Context(
        platform="local",
        repository="/".join(remote.split("/")[-2:]) if remote else (top or cwd).rsplit("/", 1)[-1],
        repository_url=remote,
        sha=sha,
        ref=f"refs/heads/{branch}" if branch and branch != "HEAD" else "",
        branch="" if branch == "HEAD" else branch,
        tag=tag,
        version=tag,
        event="local",
        actor=values.get("user.name") or _user(),
    )
    if sha:
        prefix = f"{remote}/commit/" if remote else ""
        context.commits = gitlog.commits(cwd, "HEAD", prefix, max_count=1) or []
    else:
        context.notes.append(
            f"{cwd} is not a git checkout (or has no commits): no commits in the context"
        )
    return context
