"""Running outside CI: plain text, outputs as key=value lines or JSON."""

from __future__ import annotations

import getpass
from collections.abc import Mapping

from cibridge import gitlog
from cibridge.context import Context
from cibridge.platforms.base import Console


class Local(Console):
    name = "local"

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return local_context(env, cwd)


def local_context(env: Mapping[str, str], cwd: str, platform: str = "local") -> Context:
    sha = (gitlog.git(cwd, "rev-parse", "HEAD") or "").strip()
    branch = (gitlog.git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    remote = gitlog.web_url(gitlog.git(cwd, "remote", "get-url", "origin") or "")
    top = (gitlog.git(cwd, "rev-parse", "--show-toplevel") or cwd).strip()
    actor = (gitlog.git(cwd, "config", "user.name") or "").strip()
    if not actor:
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):
            actor = ""
    context = Context(
        platform=platform,
        repository="/".join(remote.split("/")[-2:]) if remote else top.rsplit("/", 1)[-1],
        repository_url=remote,
        sha=sha,
        ref=f"refs/heads/{branch}" if branch and branch != "HEAD" else "",
        branch="" if branch == "HEAD" else branch,
        event="local",
        actor=actor,
    )
    tag = (gitlog.git(cwd, "describe", "--tags", "--exact-match") or "").strip()
    context.tag = tag
    context.version = tag
    found = gitlog.commits(cwd, "-1", f"{remote}/commit/" if remote else "") if sha else None
    context.commits = found or []
    if not sha:
        context.notes.append(f"{cwd} is not a git checkout: no commits in the context")
    return context
