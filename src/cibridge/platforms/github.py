"""GitHub Actions: context from GITHUB_* and the event payload; workflow commands."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from cibridge import gitlog, redact
from cibridge.context import MAX_COMMITS, Author, Commit, Context, PullRequest
from cibridge.errors import CibridgeError
from cibridge.platforms.base import Console

SUMMARY_LIMIT = 1024 * 1024


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class GitHub(Console):
    name = "github"

    def __init__(self, env: Mapping[str, str], stream: TextIO, err: TextIO | None = None) -> None:
        super().__init__(env, stream, err)
        self._summary_bytes = 0

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return github_context(env, cwd)

    def mask(self, secret: str) -> None:
        # Unredacted on purpose: the runner needs the value to mask it.
        for line in secret.splitlines():
            if line.strip():
                self.stream.write(f"::add-mask::{line}\n")
        self.stream.flush()

    def error(self, message: str) -> None:
        self.print(f"::error title=cibridge::{_escape_data(message)}")

    def warning(self, message: str) -> None:
        self.print(f"::warning title=cibridge::{_escape_data(message)}")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        path = self.env.get("GITHUB_OUTPUT")
        if not path:
            super().set_outputs(outputs)
            return
        import secrets

        with open(path, "a", encoding="utf-8") as handle:
            for key, value in outputs.items():
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                handle.write(f"{key}<<{delimiter}\n{redact.redact(value)}\n{delimiter}\n")

    def summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        data = redact.redact(markdown).encode()
        room = SUMMARY_LIMIT - self._summary_bytes - len(os.linesep)
        if len(data) > room:
            data = data[: max(0, room - 64)] + b"\n\n_(summary truncated at 1 MiB)_\n"
        self._summary_bytes += len(data)
        with open(path, "ab") as handle:
            handle.write(data + b"\n")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.print(f"::group::{title}")
        try:
            yield
        finally:
            self.print("::endgroup::")

    @contextmanager
    def untrusted(self) -> Iterator[None]:
        import secrets

        token = secrets.token_hex(16)
        self.print(f"::stop-commands::{token}")
        try:
            yield
        finally:
            self.print(f"::{token}::")


def _load_event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CibridgeError(
            f"GITHUB_EVENT_PATH={path} is not a readable JSON event payload: {error}"
        ) from None
    return loaded if isinstance(loaded, dict) else {}


def github_context(env: Mapping[str, str], cwd: str) -> Context:
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    repo_url = f"{server}/{repository}" if repository else ""
    run_id = env.get("GITHUB_RUN_ID", "")
    event_name = env.get("GITHUB_EVENT_NAME", "")
    payload = _load_event(env)
    ref = env.get("GITHUB_REF", "")
    ref_name = env.get("GITHUB_REF_NAME", "")
    is_tag = env.get("GITHUB_REF_TYPE") == "tag" or ref.startswith("refs/tags/")
    context = Context(
        platform="github",
        repository=repository,
        repository_url=repo_url,
        sha=env.get("GITHUB_SHA", ""),
        ref=ref,
        branch=env.get("GITHUB_HEAD_REF") or ("" if is_tag else ref_name),
        tag=ref_name if is_tag else "",
        event=event_name,
        actor=env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR", ""),
        run_id=run_id,
        run_url=f"{repo_url}/actions/runs/{run_id}" if repo_url and run_id else "",
        workflow=env.get("GITHUB_WORKFLOW", ""),
        job=env.get("GITHUB_JOB", ""),
        version=ref_name if is_tag else "",
    )
    attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
    if context.run_url and attempt not in ("", "1"):
        context.run_url += f"/attempts/{attempt}"
    commit_url = f"{repo_url}/commit/"
    if event_name == "push":
        context.commits = [_push_commit(item) for item in payload.get("commits") or []]
        context.commits.reverse()  # payload is oldest first; everything else newest first
        if len(payload.get("commits") or []) >= MAX_COMMITS:
            context.notes.append(
                f"GitHub lists at most {MAX_COMMITS} commits in a push event; "
                "older ones are left out"
            )
    elif event_name in ("pull_request", "pull_request_target") and "pull_request" in payload:
        pull = payload["pull_request"]
        context.sha = pull.get("head", {}).get("sha") or context.sha
        context.pull_request = PullRequest(
            number=int(pull.get("number") or payload.get("number") or 0),
            title=pull.get("title", ""),
            url=pull.get("html_url", ""),
            source_branch=pull.get("head", {}).get("ref", ""),
            target_branch=pull.get("base", {}).get("ref", ""),
        )
        base = pull.get("base", {}).get("sha", "")
        found = gitlog.commits(cwd, f"{base}..{context.sha}", commit_url) if base else None
        if found is None:
            context.notes.append(
                "pull_request events carry no commit list and the checkout does not have the "
                "base commit: use actions/checkout with fetch-depth: 0 to list the PR's commits"
            )
        context.commits = found or []
    elif event_name == "release" and "release" in payload:
        tag = payload["release"].get("tag_name", "")
        context.tag = context.version = tag
    if not context.commits and context.sha and event_name != "pull_request":
        found = gitlog.commits(cwd, "-1", commit_url)
        context.commits = found or []
    return context


def _push_commit(item: dict[str, Any]) -> Commit:
    author = item.get("author") or {}
    return Commit(
        sha=item.get("id", ""),
        message=item.get("message", ""),
        author=Author(
            name=author.get("name", ""),
            email=author.get("email", ""),
            login=author.get("username", ""),
        ),
        url=item.get("url", ""),
        timestamp=item.get("timestamp", ""),
    )
