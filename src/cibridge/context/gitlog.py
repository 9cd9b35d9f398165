"""Commits and facts read from a local git checkout (no network)."""

from __future__ import annotations

from cibridge.context.model import MAX_COMMITS, Author, Commit

_FIELD = "\x1f"
_RECORD = "\x1e"
_FORMAT = _FIELD.join(["%H", "%an", "%ae", "%aI", "%B"]) + _RECORD


def git(cwd: str, *args: str) -> str | None:
    """Output of a git command, or None when git or the repository is not there.
    (subprocess is imported here: a job whose context comes from its event never runs git.)"""
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def is_commit(cwd: str, ref: str) -> bool:
    """Whether ``ref`` names a commit here; a ref spelled like an option is no ref."""
    return (
        git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        is not None
    )


def commits(
    cwd: str, revision_range: str, url_prefix: str = "", max_count: int | None = MAX_COMMITS
) -> list[Commit] | None:
    """Commits in ``revision_range`` (newest first), or None when git cannot answer."""
    limit = [f"--max-count={max_count}"] if max_count is not None else []
    # A range from the command line (--since) must never be read as a git option.
    out = git(cwd, "log", *limit, f"--format={_FORMAT}", "--end-of-options", revision_range)
    if out is None:
        return None
    found = []
    for record in out.split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        sha, name, email, when, message = record.split(_FIELD, 4)
        found.append(
            Commit(
                sha=sha,
                message=message.rstrip("\n"),
                author=Author(name=name, email=email),
                url=f"{url_prefix}{sha}" if url_prefix else "",
                timestamp=when,
            )
        )
    return found


def web_url(remote: str) -> str:
    """``git@host:group/repo.git`` or ``https://user@host/group/repo.git`` as a browser URL."""
    remote = remote.strip()
    if remote.startswith("git@") and ":" in remote:
        host, path = remote[4:].split(":", 1)
        remote = f"https://{host}/{path}"
    if "://" in remote:
        scheme, rest = remote.split("://", 1)
        rest = rest.split("@", 1)[-1]
        remote = f"{scheme}://{rest}" if scheme in ("http", "https") else f"https://{rest}"
    return remote.removesuffix(".git")
