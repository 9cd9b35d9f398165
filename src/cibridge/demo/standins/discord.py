"""Discord channel webhooks: ``/api/webhooks/{id}/{token}`` with ``wait``, ``thread_id``
and ``thread_name``, edits (PATCH ``…/messages/{id}``) and rate limits, answered with
Discord's JSON errors (``{"message", "code", "errors"}``); the body is checked by
:mod:`discord_rules`. Messages are kept, so a test reads what an edit left."""

from __future__ import annotations

import itertools
import math
import re
import threading
from typing import Any

from cibridge.demo.standins.discord_rules import body_errors, pings
from cibridge.demo.standins.server import Answer, Behaviour, Request

DISCORD_WEBHOOK_ID = "1180000000000000001"
DISCORD_TOKEN = "standin-discord-token"  # noqa: S105 - a stand-in's own credential
DISCORD_CHANNEL = "1180000000000000100"
DISCORD_THREAD = "1180000000000000200"  # a thread (forum post) in that channel
_PATH = re.compile(r"/discord/api(?:/v\d+)?/webhooks/([0-9]+)/([^/]+)(?:/messages/([^/]+))?")


def _error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> Answer:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return Answer(status, body)


class Discord:
    name = "discord"
    prefix = "/discord"

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self._ids = itertools.count(1190000000000000001)
        self.messages: dict[str, dict[str, Any]] = {}  # id -> the message as Discord keeps it
        self._bodies: dict[str, dict[str, Any]] = {}  # id -> what was sent, for edits
        self.tokens = {DISCORD_TOKEN}  # webhook tokens it takes (a test adds its canary)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "DISCORD_WEBHOOK_URL": (
                f"{base_url}/discord/api/webhooks/{DISCORD_WEBHOOK_ID}/{DISCORD_TOKEN}"
            )
        }

    def handle(self, request: Request) -> Answer:
        if request.method not in ("POST", "PATCH"):
            return Answer(
                405, {"message": "405: Method Not Allowed", "code": 0}, {"Allow": "POST, PATCH"}
            )
        found = _PATH.fullmatch(request.path)
        if found is None:
            return _error(404, 0, "404: Not Found")
        hook, token, message_id = found.groups()
        if hook != DISCORD_WEBHOOK_ID:
            return _error(404, 10015, "Unknown Webhook")
        if token not in self.tokens:
            return _error(401, 50027, "Invalid Webhook Token")
        if (request.method == "PATCH") != bool(message_id):  # a message is edited, a hook posted to
            return _error(405, 0, "405: Method Not Allowed")
        with self._lock:
            if self.behaviour.discord_rate_limited > 0:
                self.behaviour.discord_rate_limited -= 1
                wait = self.behaviour.discord_retry_after
                # Discord says it twice: whole seconds in Retry-After, exactly in the body.
                headers = {"Retry-After": str(math.ceil(wait)), "X-RateLimit-Scope": "user"}
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": wait,
                    "global": False,
                }
                return Answer(429, body, headers)
        try:
            body = request.json()
        except ValueError:
            return _error(400, 50109, "The request body contains invalid JSON.")
        thread = request.query.get("thread_id", "")
        if thread and thread != DISCORD_THREAD:
            return _error(400, 10003, "Unknown Channel")
        errors = body_errors(body, edit=bool(message_id))
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        if message_id:
            return self._edit(message_id, thread, body)
        return self._post(request, thread, body)

    def _post(self, request: Request, thread: str, body: dict[str, Any]) -> Answer:
        if not body.get("content") and not body.get("embeds"):
            return _error(400, 50006, "Cannot send an empty message")
        forum = self.behaviour.discord_forum
        name = body.get("thread_name")
        if forum and not thread and not name:
            return _error(
                400,
                220001,
                "Webhooks posted to forum channels must have a thread_name or thread_id",
            )
        if forum and thread and name:
            return _error(
                400,
                220002,
                "Webhooks posted to forum channels cannot have both a thread_name and thread_id",
            )
        if name and not forum:
            return _error(400, 220003, "Webhooks can only create threads in forum channels")
        with self._lock:
            message_id = str(next(self._ids))
            channel = thread or (message_id if name else DISCORD_CHANNEL)  # a new post is a thread
            message = self._message(message_id, channel, body)
            self.messages[message_id] = message
            self._bodies[message_id] = body
        if request.query.get("wait", "").lower() not in ("true", "1"):
            return Answer(204, b"")
        return Answer(200, message)

    def _edit(self, message_id: str, thread: str, body: dict[str, Any]) -> Answer:
        with self._lock:
            kept = self.messages.get(message_id)
            # A message in a thread is found only with that thread's id (and vice versa).
            if kept is None or kept["channel_id"] != (thread or DISCORD_CHANNEL):
                return _error(404, 10008, "Unknown Message")
            merged = {**self._bodies[message_id], **body}
            merged.pop("thread_name", None)
            message = self._message(message_id, kept["channel_id"], merged)
            message["edited_timestamp"] = "2026-01-01T00:00:01.000000+00:00"
            self.messages[message_id] = message
            self._bodies[message_id] = merged
        return Answer(200, message)

    @staticmethod
    def _message(message_id: str, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        users, roles, everyone = pings(body)
        return {
            "id": message_id,
            "type": 0,
            "channel_id": channel,
            "webhook_id": DISCORD_WEBHOOK_ID,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "mentions": [{"id": user} for user in users],
            "mention_roles": roles,
            "mention_everyone": everyone,
            "timestamp": "2026-01-01T00:00:00.000000+00:00",
            "edited_timestamp": None,
        }
