"""GitHub Actions: context from GITHUB_* and the event payload; workflow commands."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from cibridge.context import gitlog
from cibridge.context.model import MAX_COMMITS, Author, Commit, Context, PullRequest
from cibridge.context.payload import Payload
from cibridge.context.platforms.base import Console, append_file
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import printable

SUMMARY_LIMIT = 1024 * 1024
# The runner reads a workflow command at the start of a line, leading blanks allowed, and
# still reads the older "##[command]" form anywhere in a line (actions/runner
# ActionCommand.TryParse, its fallback after the "::" form).
_COMMAND_LINE = re.compile(r"^\s*::|##\[", re.MULTILINE)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class GitHub(Console):
    name = "github"

    def __init__(self, env: Mapping[str, str], stream: TextIO, err: TextIO | None = None) -> None:
        super().__init__(env, stream, err)
        self._summary_bytes = 0
        self._quoting = 0  # open untrusted() blocks: commands are off inside them

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return github_context(env, cwd)

    def mask(self, secret: str) -> None:
        # Unredacted on purpose: the runner needs the value to mask it.
        for line in secret.splitlines():
            if line.strip():
                self.write(f"::add-mask::{line}\n")

    def error(self, message: str) -> None:
        # Redact before escaping: escaping first would turn a secret's "%" or newline into
        # a form the redactor no longer recognises.
        self.write(f"::error title=cibridge::{_escape_data(printable(redact.redact(message)))}\n")

    def warning(self, message: str) -> None:
        self.write(f"::warning title=cibridge::{_escape_data(printable(redact.redact(message)))}\n")

    def emit_outputs(self, outputs: Mapping[str, str]) -> None:
        path = self.env.get("GITHUB_OUTPUT")
        if not path:
            super().emit_outputs(outputs)
            return
        import secrets

        text = ""
        for key, value in outputs.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            text += f"{key}<<{delimiter}\n{redact.redact(value)}\n{delimiter}\n"
        append_file(path, "GITHUB_OUTPUT", text.encode())

    def summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        data = redact.redact(markdown).encode()
        room = SUMMARY_LIMIT - self._summary_bytes - len(os.linesep)
        if len(data) > room:
            data = data[: max(0, room - 64)] + b"\n\n_(summary truncated at 1 MiB)_\n"
        self._summary_bytes += len(data)
        append_file(path, "GITHUB_STEP_SUMMARY", data + b"\n")

    def print(self, text: str) -> None:
        # A line starting with "::" is a workflow command to the runner. cibridge writes its
        # own commands with _command(), so one inside printed text came from data (a Jira
        # summary, a webhook body, a commit message): it is shown, never obeyed.
        text = printable(text)
        if self._quoting == 0 and _COMMAND_LINE.search(text):
            with self.untrusted():
                super().print(text)
            return
        super().print(text)

    def print_err(self, text: str) -> None:
        # The runner reads commands on stderr as well: the guard goes on the same stream,
        # so it cannot arrive after the line it guards.
        text = printable(text)
        if not _COMMAND_LINE.search(text):
            super().print_err(text)
            return
        import secrets

        token = secrets.token_hex(16)
        self.write_err(f"::stop-commands::{token}\n")
        super().print_err(text)
        self.write_err(f"::{token}::\n")

    def _command(self, line: str) -> None:
        self.write(redact.redact(line) + "\n")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._command(f"::group::{' '.join(printable(title).splitlines())}")
        try:
            yield
        finally:
            self._command("::endgroup::")

    @contextmanager
    def untrusted(self) -> Iterator[None]:
        import secrets

        token = secrets.token_hex(16)
        self._command(f"::stop-commands::{token}")
        self._quoting += 1
        try:
            yield
        finally:
            self._quoting -= 1
            self._command(f"::{token}::")


MAX_EVENT_BYTES = 64 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
# Events whose payload carries the pull request. Only pull_request and pull_request_target
# get GITHUB_HEAD_REF; the review events run on refs/pull/N/merge, whose GITHUB_REF_NAME
# ("N/merge") is no branch anyone named.
PULL_REQUEST_EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
    }
)


def _load_event(env: Mapping[str, str], notes: list[str]) -> Payload:
    path = env.get("GITHUB_EVENT_PATH")
    source = "event payload"
    if not path or not Path(path).is_file():
        return Payload({}, source, notes)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_EVENT_BYTES + 1)
        if len(raw) > MAX_EVENT_BYTES:
            raise ValueError(f"larger than {MAX_EVENT_BYTES // 1024 // 1024} MiB")
        loaded = json.loads(raw)
    except RecursionError:
        notes.append(f"GITHUB_EVENT_PATH={path}: the event payload is nested too deeply; ignored")
        return Payload({}, source, notes)
    except (OSError, ValueError) as error:
        raise CibridgeError(
            f"GITHUB_EVENT_PATH={path} is not a readable JSON event payload: {error}"
        ) from None
    if not isinstance(loaded, dict):
        notes.append(f"GITHUB_EVENT_PATH={path}: the event payload is not an object; ignored")
        loaded = {}
    return Payload(loaded, source, notes)


def github_context(env: Mapping[str, str], cwd: str) -> Context:
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    repo_url = f"{server}/{repository}" if repository else ""
    run_id = env.get("GITHUB_RUN_ID", "")
    event_name = env.get("GITHUB_EVENT_NAME", "")
    notes: list[str] = []
    payload = _load_event(env, notes)
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
        notes=notes,
    )
    attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
    context.attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if context.run_url and attempt not in ("", "1"):
        context.run_url += f"/attempts/{attempt}"
    commit_url = f"{repo_url}/commit/"
    if event_name == "push":
        context.range_base = payload.text("before")
        listed = payload.objects("commits")
        context.commits = [_push_commit(item) for item in reversed(listed)]
        # The payload is oldest first; everything else newest first.
        if len(listed) >= MAX_COMMITS:
            context.notes.append(
                f"GitHub lists at most {MAX_COMMITS} commits in a push event; "
                "older ones are left out"
            )
    elif event_name in PULL_REQUEST_EVENTS and payload.present("pull_request"):
        pull = payload.mapping("pull_request")
        context.sha = pull.text("head", "sha") or context.sha
        context.branch = pull.text("head", "ref") or context.branch
        context.pull_request = PullRequest(
            number=pull.integer("number") or payload.integer("number"),
            title=pull.text("title"),
            url=pull.text("html_url"),
            source_branch=pull.text("head", "ref"),
            target_branch=pull.text("base", "ref"),
            body=pull.text("body"),
        )
        base = pull.text("base", "sha")
        found = gitlog.commits(cwd, f"{base}..{context.sha}", commit_url) if base else None
        if found is None:
            context.notes.append(
                f"{event_name} events carry no commit list and the checkout does not have the "
                "base commit: use actions/checkout with fetch-depth: 0 to list the PR's commits"
            )
        context.commits = found or []
    elif event_name == "release" and payload.present("release"):
        context.tag = context.version = payload.text("release", "tag_name")
    # A pull request's HEAD is a merge commit (or, for pull_request_target, the base
    # branch): not a commit of the pull request, so it is never listed as one.
    if not context.commits and context.sha and event_name not in PULL_REQUEST_EVENTS:
        found = gitlog.commits(cwd, "HEAD", commit_url, max_count=1)
        context.commits = found or []
    return context


def _push_commit(item: Payload) -> Commit:
    return Commit(
        sha=item.text("id"),
        message=item.text("message"),
        author=Author(
            name=item.text("author", "name"),
            email=item.text("author", "email"),
            login=item.text("author", "username"),
        ),
        url=item.text("url"),
        timestamp=item.text("timestamp"),
    )
