"""GitHub's commit statuses, for :class:`~cibridge.demo.standins.github_api.GitHubApi`.

``POST /repos/{owner}/{repo}/statuses/{sha}`` with ``{state, target_url, description,
context}`` (201 and the status), ``GET /repos/{owner}/{repo}/commits/{ref}/statuses`` and
its legacy route ``GET /repos/{owner}/{repo}/statuses/{ref}`` (newest first, ``per_page`` up
to 100, ``page``). Refused as GitHub refuses them, with its ``Validation Failed`` body:
a state outside error|failure|pending|success, a context over 255 characters, a
description over 140, a target_url that is not http(s), a sha that names no commit, and
the 1000th-and-later status of one sha and context.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cibridge.demo.standins.server import Answer, Request

DOCS = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
STATES = ("error", "failure", "pending", "success")
MAX_CONTEXT = 255
MAX_DESCRIPTION = 140
MAX_PER_CONTEXT = 1000
_SHA = re.compile(r"[0-9a-f]{7,40}")


def _invalid(field: str, message: str) -> Answer:
    error = {"resource": "Status", "code": "custom", "field": field, "message": message}
    return Answer(
        422,
        {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS},
    )


class CommitStatuses:
    """Every status of every repository, oldest first (GitHub lists them newest first)."""

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []

    def create(self, repository: str, sha: str, request: Request) -> Answer:
        if not _SHA.fullmatch(sha):
            return Answer(
                422, {"message": f"No commit found for SHA: {sha}", "documentation_url": DOCS}
            )
        try:
            body = json.loads(request.raw) if request.raw else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Answer(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        state = body.get("state")
        if state not in STATES:
            return _invalid("state", "state is not included in the list")
        context = body.get("context") or "default"
        description = body.get("description") or ""
        target = body.get("target_url") or ""
        if not isinstance(context, str) or len(context) > MAX_CONTEXT:
            return _invalid("context", f"context is too long (maximum is {MAX_CONTEXT} characters)")
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            return _invalid(
                "description", f"description is too long (maximum is {MAX_DESCRIPTION} characters)"
            )
        if not isinstance(target, str) or (target and not re.match(r"https?://[^\s/]", target)):
            return _invalid("target_url", "target_url must use http(s) scheme")
        same = [
            s
            for s in self.statuses
            if s["repository"] == repository
            and s["sha"] == sha
            and s["context"].casefold() == context.casefold()  # GitHub: case-insensitive
        ]
        if len(same) >= MAX_PER_CONTEXT:
            return _invalid("", "This SHA and context has reached the maximum number of statuses.")
        status = {
            "repository": repository,
            "sha": sha,
            "id": 7000 + len(self.statuses) + 1,
            "state": state,
            "description": description or None,
            "target_url": target or None,
            "context": context,
            "created_at": f"2026-01-01T00:00:{len(self.statuses) % 60:02d}Z",
        }
        self.statuses.append(status)
        return Answer(201, _shown(status))

    def list(self, repository: str, ref: str, request: Request) -> Answer:
        try:
            per_page = min(100, max(1, int(request.query.get("per_page", "30"))))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError:
            per_page, page = 30, 1
        found = [
            _shown(s)
            for s in reversed(self.statuses)
            if s["repository"] == repository and s["sha"] == ref
        ]
        return Answer(200, found[(page - 1) * per_page : page * per_page])


def _shown(status: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in status.items() if k not in ("repository", "sha")}
    shown["url"] = f"https://api.github.com/repos/{status['repository']}/statuses/{status['sha']}"
    shown["updated_at"] = status["created_at"]
    return shown
