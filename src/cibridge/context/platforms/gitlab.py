"""GitLab CI: context from CI_* variables; dotenv outputs and collapsible sections."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from cibridge.context import gitlog, job_status
from cibridge.context.model import ZERO_SHA, Author, Commit, Context, PullRequest
from cibridge.context.payload import parse_number
from cibridge.context.platforms.base import Console
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import printable

DOTENV_LIMIT = 5 * 1024
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def dotenv_key(key: str) -> str:
    return key.replace("-", "_")


class GitLab(Console):
    name = "gitlab"

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return gitlab_context(env, cwd)

    def error(self, message: str) -> None:
        self.write_err(f"\x1b[31;1mERROR: {_shown(message)}\x1b[0m\n")

    def warning(self, message: str) -> None:
        self.write_err(f"\x1b[33;1mWARNING: {_shown(message)}\x1b[0m\n")

    def emit_outputs(self, outputs: Mapping[str, str]) -> None:
        lines = []
        for key, value in outputs.items():
            name = dotenv_key(key)
            if not _KEY.match(name):
                raise CibridgeError(f"dotenv output key {name!r} is not letters, digits and _")
            clean = redact.redact(value)
            if "\n" in clean or "\r" in clean:
                raise CibridgeError(
                    f"dotenv output {name} has a line break; GitLab dotenv values are single-line"
                )
            lines.append(f"{name}={clean}\n")
        path = self.env.get("CIBRIDGE_DOTENV", "cibridge.env")
        try:
            with open(path, encoding="utf-8") as handle:
                existing = handle.read(DOTENV_LIMIT + 1)
        except FileNotFoundError:
            existing = ""
        except (OSError, UnicodeDecodeError) as error:
            raise CibridgeError(
                f"cannot read the dotenv report {path}: {error}",
                hint="set CIBRIDGE_DOTENV to a writable file path inside the project directory",
            ) from None
        text = existing + "".join(lines)
        if len(text.encode()) > DOTENV_LIMIT:
            raise CibridgeError(
                f"dotenv report {path} would be {len(text.encode())} bytes; GitLab accepts 5 KB",
                hint="pass large values as artifacts instead of outputs",
            )
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise CibridgeError(
                f"cannot write the dotenv report {path}: {error.strerror or error}",
                hint="set CIBRIDGE_DOTENV to a writable path inside the project directory",
            ) from None
        super().emit_outputs(outputs)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        name = f"cibridge_{int(time.time() * 1000)}"
        heading = " ".join(_shown(title).splitlines())
        self.write(
            f"\x1b[0Ksection_start:{int(time.time())}:{name}[collapsed=true]\r\x1b[0K{heading}\n"
        )
        try:
            yield
        finally:
            self.write(f"\x1b[0Ksection_end:{int(time.time())}:{name}\r\x1b[0K\n")


def _shown(text: str) -> str:
    """Data inside GitLab's own control sequences: redacted, its controls made visible."""
    return printable(redact.redact(text))


def gitlab_context(env: Mapping[str, str], cwd: str) -> Context:
    project_url = env.get("CI_PROJECT_URL", "").rstrip("/")
    commit_url = f"{project_url}/-/commit/" if project_url else ""
    tag = env.get("CI_COMMIT_TAG", "")
    context = Context(
        platform="gitlab",
        repository=env.get("CI_PROJECT_PATH", ""),
        repository_url=project_url,
        sha=env.get("CI_COMMIT_SHA", ""),
        ref=env.get("CI_COMMIT_REF_NAME", ""),
        branch=env.get("CI_COMMIT_BRANCH") or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ""),
        tag=tag,
        event=env.get("CI_PIPELINE_SOURCE", ""),
        actor=env.get("GITLAB_USER_LOGIN", ""),
        run_id=env.get("CI_PIPELINE_ID", ""),
        run_url=env.get("CI_PIPELINE_URL", ""),
        workflow=env.get("CI_PIPELINE_NAME", ""),
        job=env.get("CI_JOB_NAME", ""),
        status=job_status.normalise(env.get("CI_JOB_STATUS", "")),
        environment=env.get("CI_ENVIRONMENT_NAME", ""),
        environment_url=env.get("CI_ENVIRONMENT_URL", ""),
        version=tag,
        started_at=env.get("CI_PIPELINE_CREATED_AT") or env.get("CI_JOB_STARTED_AT", ""),
    )
    if env.get("CI_MERGE_REQUEST_IID"):
        iid = env["CI_MERGE_REQUEST_IID"]
        mr_project = env.get("CI_MERGE_REQUEST_PROJECT_URL", project_url)
        context.pull_request = PullRequest(
            number=parse_number(iid, "CI_MERGE_REQUEST_IID", context.notes),
            title=env.get("CI_MERGE_REQUEST_TITLE", ""),
            url=f"{mr_project}/-/merge_requests/{iid}",
            source_branch=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ""),
            target_branch=env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", ""),
            kind="merge_request",
            body=env.get("CI_MERGE_REQUEST_DESCRIPTION", ""),
        )
    before = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or env.get("CI_COMMIT_BEFORE_SHA", "")
    context.range_base = before
    found = None
    default = env.get("CI_DEFAULT_BRANCH", "")
    if before == ZERO_SHA and default and context.branch and context.branch != default:
        # A new branch: GitLab sends no "before"; its commits are those not on the default
        # branch (GitLab fetches that ref for merge-request-less pipelines with GIT_DEPTH 0).
        before = f"origin/{default}"
        context.range_base = before
    if before and before != ZERO_SHA and context.sha:
        found = gitlog.commits(cwd, f"{before}..{context.sha}", commit_url)
        if found is None:
            context.notes.append(
                f"the checkout does not have {before[:16]}; set GIT_DEPTH: 0 to list every commit"
            )
    if not found and context.sha:
        # The checkout knows the real author and full message; the variables are a fallback.
        found = gitlog.commits(cwd, f"{context.sha}^!", commit_url)
    context.commits = found if found else _head_commit(env, commit_url)
    return context


def _head_commit(env: Mapping[str, str], commit_url: str) -> list[Commit]:
    sha = env.get("CI_COMMIT_SHA", "")
    if not sha:
        return []
    author = env.get("CI_COMMIT_AUTHOR", "")
    name, _, email = author.partition(" <")
    return [
        Commit(
            sha=sha,
            message=env.get("CI_COMMIT_MESSAGE", ""),
            author=Author(name=name, email=email.rstrip(">")),
            url=f"{commit_url}{sha}" if commit_url else "",
            timestamp=env.get("CI_COMMIT_TIMESTAMP", ""),
        )
    ]
