"""Google Chat incoming webhooks: ``/v1/spaces/{space}/messages?key=…&token=…`` with the
thread parameters (``threadKey`` and ``messageReplyOption``, which gives the key its
meaning), the message's fields and cards v2 checked, and Google's error bodies
(``{"error": {"code", "message", "status"}}``). A message's mentions come back as
annotations, so a test sees whether a ``<users/all>`` in a commit mentioned anyone."""

from __future__ import annotations

import itertools
import json
import re
import threading
from typing import Any

from cibridge.demo.standins.server import Answer, Behaviour, Request

GOOGLE_CHAT_SPACE = "AAAAstandin"
GOOGLE_CHAT_KEY = "standin-google-chat-key"
GOOGLE_CHAT_TOKEN = "standin-google-chat-token"  # noqa: S105
REPLY_OPTIONS = (
    "MESSAGE_REPLY_OPTION_UNSPECIFIED",
    "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
    "REPLY_MESSAGE_OR_FAIL",
)
MESSAGE_FIELDS = frozenset({"text", "cardsV2", "thread", "fallbackText", "accessoryWidgets"})
CARD_FIELDS = frozenset({"header", "sections", "name", "fixedFooter", "cardActions"})
SECTION_FIELDS = frozenset({"header", "widgets", "collapsible", "uncollapsibleWidgetsCount"})
WIDGETS = frozenset(
    {"textParagraph", "decoratedText", "buttonList", "divider", "image", "columns", "grid"}
)
_PATH = re.compile(r"/google-chat/v1/spaces/([^/]+)/messages")


def _error(code: int, status: str, message: str) -> Answer:
    return Answer(code, {"error": {"code": code, "message": message, "status": status}})


def _unknown(name: str, where: str) -> Answer:
    return _error(
        400,
        "INVALID_ARGUMENT",
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field.",
    )


def _card_problem(cards: Any) -> Answer | None:
    if not isinstance(cards, list):
        return _error(
            400,
            "INVALID_ARGUMENT",
            "Invalid value at 'message.cards_v2' "
            "(type.googleapis.com/google.apps.card.v1.CardWithId)",
        )
    for index, item in enumerate(cards):
        where = f"message.cards_v2[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("card"), dict):
            return _error(400, "INVALID_ARGUMENT", f"Invalid value at '{where}.card'")
        card = item["card"]
        for name in card:
            if name not in CARD_FIELDS:
                return _unknown(name, f"{where}.card")
        header = card.get("header")
        if header is not None and not (isinstance(header, dict) and header.get("title")):
            return _error(400, "INVALID_ARGUMENT", f"{where}.card.header.title is required")
        for number, section in enumerate(card.get("sections") or []):
            place = f"{where}.card.sections[{number}]"
            if not isinstance(section, dict) or not isinstance(section.get("widgets"), list):
                return _error(400, "INVALID_ARGUMENT", f"{place}.widgets is required")
            for name in section:
                if name not in SECTION_FIELDS:
                    return _unknown(name, place)
            for slot, widget in enumerate(section["widgets"]):
                kinds = [k for k in (widget if isinstance(widget, dict) else {}) if k in WIDGETS]
                if len(kinds) != 1 or len(widget) != 1:
                    return _error(
                        400,
                        "INVALID_ARGUMENT",
                        f"{place}.widgets[{slot}] must set exactly one widget",
                    )
                body = widget[kinds[0]]
                if kinds[0] in ("textParagraph", "decoratedText") and not (
                    isinstance(body, dict) and isinstance(body.get("text"), str) and body["text"]
                ):
                    return _error(
                        400,
                        "INVALID_ARGUMENT",
                        f"{place}.widgets[{slot}].{kinds[0]}.text is required",
                    )
                if kinds[0] == "buttonList":
                    for button in body.get("buttons") or []:
                        url = ((button.get("onClick") or {}).get("openLink") or {}).get("url")
                        if not (isinstance(url, str) and re.match(r"https?://", url)):
                            return _error(
                                400,
                                "INVALID_ARGUMENT",
                                f"{place}.widgets[{slot}]: a button's openLink.url must be "
                                "an http(s) URL",
                            )
    return None


class GoogleChat:
    name = "google_chat"
    prefix = "/google-chat"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # no knobs yet
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.threads: dict[str, str] = {}  # threadKey -> thread name
        self.messages: list[dict[str, Any]] = []
        self.tokens = {GOOGLE_CHAT_TOKEN}  # webhook tokens it takes (a test adds its canary)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "GOOGLE_CHAT_WEBHOOK_URL": (
                f"{base_url}/google-chat/v1/spaces/{GOOGLE_CHAT_SPACE}/messages"
                f"?key={GOOGLE_CHAT_KEY}&token={GOOGLE_CHAT_TOKEN}"
            )
        }

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        found = _PATH.fullmatch(request.path)
        if found is None or found.group(1) != GOOGLE_CHAT_SPACE:
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        if request.query.get("key") != GOOGLE_CHAT_KEY:
            return _error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
            )
        if request.query.get("token") not in self.tokens:
            return _error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        option = request.query.get("messageReplyOption", REPLY_OPTIONS[0])
        if option not in REPLY_OPTIONS:
            return _error(
                400,
                "INVALID_ARGUMENT",
                f"Invalid value at 'message_reply_option' (type.googleapis.com/"
                f'google.chat.v1.CreateMessageRequest.MessageReplyOption), "{option}"',
            )
        if len(request.raw) > 32_000:
            return _error(
                400, "INVALID_ARGUMENT", "Message is too large: the maximum size is 32,000 bytes."
            )
        try:
            body = request.json()
        except ValueError:
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        for name in body:
            if name not in MESSAGE_FIELDS:
                return _unknown(name, "message")
        text = body.get("text", "")
        if not isinstance(text, str) or len(text) > 4096:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "Message text is too long: the maximum is 4,096 characters.",
            )
        if not text and not body.get("cardsV2"):
            return _error(400, "INVALID_ARGUMENT", "Message cannot be empty.")
        problem = _card_problem(body["cardsV2"]) if "cardsV2" in body else None
        if problem is not None:
            return problem
        return self._post(request.query.get("threadKey", ""), option, body, text)

    def _post(self, key: str, option: str, body: dict[str, Any], text: str) -> Answer:
        space = f"spaces/{GOOGLE_CHAT_SPACE}"
        with self._lock:
            number = next(self._ids)
            # The key means something only with a reply option; without one, a new thread.
            thread = self.threads.get(key) if key and option != REPLY_OPTIONS[0] else None
            if thread is None and option == "REPLY_MESSAGE_OR_FAIL":
                return _error(404, "NOT_FOUND", "Requested entity was not found.")
            replied = thread is not None
            if thread is None:
                thread = f"{space}/threads/T{number:04d}"
                if key and option != REPLY_OPTIONS[0]:
                    self.threads[key] = thread
            message = {
                "name": f"{space}/messages/M{number:04d}.M{number:04d}",
                "sender": {"name": "users/114022495153014004089", "type": "BOT"},
                "createTime": "2026-01-01T00:00:00.000000Z",
                "text": text,
                "cardsV2": body.get("cardsV2", []),
                "annotations": [
                    {"type": "USER_MENTION", "userMention": {"user": {"name": who}}}
                    for who in re.findall(r"<(users/[^>\s]+)>", text)
                ],
                "thread": {"name": thread, **({"threadKey": key} if key else {})},
                "space": {"name": space, "type": "SPACE"},
                "threadReply": replied,
            }
            self.messages.append(message)
        return Answer(200, json.loads(json.dumps(message)))
