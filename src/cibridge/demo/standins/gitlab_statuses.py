"""GitLab's commit statuses, for :class:`~cibridge.demo.standins.gitlab_api.GitLabApi`.

``POST /projects/:id/statuses/:sha`` with ``state`` (pending|running|success|failed|
canceled), ``name`` (``context`` is its alias; default ``default``), ``target_url``,
``description``, ``ref``, as JSON or form fields; 201 and the status.
``GET /projects/:id/repository/commits/:sha/statuses`` with ``name``, ``ref`` and ``all``
(without ``all``, only the latest status of each name), ``per_page`` up to 100, ``page``.
Errors are GitLab's bodies: ``{"error": "state is missing"}``, ``{"error": "state does
not have a valid value"}``, ``{"message": {"name": [...]}}``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from cibridge.demo.standins.server import Answer, Request

STATES = ("pending", "running", "success", "failed", "canceled")
MAX_NAME = 255
_SHA = re.compile(r"[0-9a-f]{7,40}")


class CommitStatuses:
    """Every status of every project, oldest first."""

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []

    def create(self, project: int, path: str, sha: str, request: Request) -> Answer:
        if not _SHA.fullmatch(sha):
            return Answer(404, {"message": "404 Commit Not Found"})
        content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
        if "application/json" in content_type:
            try:
                body = json.loads(request.raw or b"{}")
            except ValueError:
                return Answer(400, {"message": "400 Bad request - JSON body is not valid"})
            fields = {str(k): v for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            fields = dict(parse_qsl(request.raw.decode("utf-8", "replace")))
        state = fields.get("state")
        if not state:
            return Answer(400, {"error": "state is missing"})
        if state not in STATES:
            return Answer(400, {"error": "state does not have a valid value"})
        name = str(fields.get("name") or fields.get("context") or "default")
        if len(name) > MAX_NAME:
            return Answer(
                400, {"message": {"name": [f"is too long (maximum is {MAX_NAME} characters)"]}}
            )
        target = str(fields.get("target_url") or "")
        if target and not re.match(r"https?://[^\s/]", target):
            return Answer(
                400,
                {"message": {"target_url": ["is blocked: Only allowed schemes are http, https"]}},
            )
        status = {
            "project": project,
            "id": 8000 + len(self.statuses) + 1,
            "sha": sha,
            "ref": str(fields.get("ref") or "main"),
            "status": state,
            "name": name,
            "target_url": target or None,
            "description": str(fields.get("description") or "") or None,
            "created_at": f"2026-01-01T00:00:{len(self.statuses) % 60:02d}.000Z",
            "allow_failure": False,
            "author": {"username": "cibridge-bot", "web_url": "https://gitlab.example.com/bot"},
            "web_url": f"https://gitlab.example.com/{path}",
        }
        self.statuses.append(status)
        return Answer(201, _shown(status))

    def list(self, project: int, sha: str, request: Request) -> Answer:
        query = request.query
        try:
            per_page = min(100, max(1, int(query.get("per_page", "20"))))
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            per_page, page = 20, 1
        found = [
            s
            for s in reversed(self.statuses)
            if s["project"] == project
            and s["sha"] == sha
            and (not query.get("name") or s["name"] == query["name"])
            and (not query.get("ref") or s["ref"] == query["ref"])
        ]
        if query.get("all", "false").lower() != "true":
            latest: dict[str, dict[str, Any]] = {}
            for status in found:
                latest.setdefault(status["name"], status)
            found = list(latest.values())
        return Answer(200, [_shown(s) for s in found[(page - 1) * per_page : page * per_page]])


def _shown(status: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in status.items() if k not in ("project", "web_url")}
