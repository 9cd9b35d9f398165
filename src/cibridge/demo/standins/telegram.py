"""The Telegram Bot API: ``/bot<token>/sendMessage`` and ``editMessageText`` with the
checks the API makes (the token, the chat, a forum topic, the text parsed as HTML or
MarkdownV2 by :mod:`telegram_parse`, 4,096 visible characters, flood control), answered as
Telegram answers: ``{"ok": false, "error_code": …, "description": "Bad Request: …"}``."""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any

from cibridge.demo.standins.server import Answer, Behaviour, Request
from cibridge.demo.standins.telegram_parse import (
    ParseError,
    parse_html,
    parse_markdown_v2,
    units,
)

TELEGRAM_TOKEN = "7000000001:standin-telegram-token"  # noqa: S105 - a stand-in's own credential
TELEGRAM_CHAT = "-1001000000001"  # a supergroup with topics
TELEGRAM_TOPIC = 7
_PATH = re.compile(r"/telegram/bot([^/]+)/([A-Za-z]+)")


def _error(code: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body)


class Telegram:
    name = "telegram"
    prefix = "/telegram"

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self._ids = itertools.count(101)
        self.tokens = {TELEGRAM_TOKEN}  # bot tokens it takes (a test adds its canary)
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}  # (chat, id) -> message
        self._sources: dict[tuple[str, int], tuple[str, Any]] = {}  # what an edit compares

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_CHAT_ID": TELEGRAM_CHAT,
            "TELEGRAM_API_URL": f"{base_url}/telegram",
        }

    def handle(self, request: Request) -> Answer:
        found = _PATH.fullmatch(request.path)
        if found is None or found.group(1) not in self.tokens:
            return _error(401 if found else 404, "Unauthorized" if found else "Not Found")
        method = found.group(2)
        if method not in ("sendMessage", "editMessageText"):
            return _error(404, "Not Found: method not found")
        with self._lock:
            if self.behaviour.telegram_rate_limited > 0:
                self.behaviour.telegram_rate_limited -= 1
                wait = self.behaviour.telegram_retry_after
                return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        try:
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _error(400, "Bad Request: invalid JSON")
        chat = str(body.get("chat_id", ""))
        if not chat:
            return _error(400, "Bad Request: chat_id is empty")
        if chat != TELEGRAM_CHAT:
            return _error(400, "Bad Request: chat not found")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        mode = body.get("parse_mode")
        try:
            if mode == "HTML":
                shown = parse_html(text)
            elif mode == "MarkdownV2":
                shown = parse_markdown_v2(text)
            elif mode in (None, ""):
                shown = text
            else:
                return _error(400, "Bad Request: unsupported parse_mode")
        except ParseError as error:
            return _error(400, f"Bad Request: can't parse entities: {error}")
        if not shown.strip():
            return _error(400, "Bad Request: message text is empty")
        if units(shown) > 4096:
            return _error(400, "Bad Request: message is too long")
        if method == "editMessageText":
            return self._edit(chat, body, shown)
        return self._send(chat, body, shown)

    def _send(self, chat: str, body: dict[str, Any], text: str) -> Answer:
        # ``text``: the visible text; the message keeps it, as Telegram's answer shows it.
        topic = body.get("message_thread_id")
        if topic is not None and topic != TELEGRAM_TOPIC:
            return _error(400, "Bad Request: message thread not found")
        with self._lock:
            message_id = next(self._ids)
            message = self._message(chat, message_id, body, text)
            self.messages[(chat, message_id)] = message
            self._sources[(chat, message_id)] = (body["text"], body.get("parse_mode"))
        return Answer(200, {"ok": True, "result": message})

    def _edit(self, chat: str, body: dict[str, Any], text: str) -> Answer:
        given = body.get("message_id")
        message_id = given if isinstance(given, int) and not isinstance(given, bool) else 0
        with self._lock:
            kept = self.messages.get((chat, message_id))
            if kept is None:
                return _error(400, "Bad Request: message to edit not found")
            source = (body["text"], body.get("parse_mode"))
            if self._sources[(chat, message_id)] == source:
                return _error(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message = self._message(chat, message_id, body, text)
            message["edit_date"] = 1767225601
            if "message_thread_id" in kept:
                message["message_thread_id"] = kept["message_thread_id"]
            self.messages[(chat, message_id)] = message
            self._sources[(chat, message_id)] = source
        return Answer(200, {"ok": True, "result": message})

    @staticmethod
    def _message(chat: str, message_id: int, body: dict[str, Any], text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": {"id": 7000000001, "is_bot": True, "first_name": "cibridge"},
            "chat": {"id": int(chat), "title": "Deployments", "type": "supergroup"},
            "date": 1767225600,
            "text": text,  # as the chat shows it: the markup parsed away
        }
        if body.get("message_thread_id") is not None:
            message["message_thread_id"] = body["message_thread_id"]
            message["is_topic_message"] = True
        return message
