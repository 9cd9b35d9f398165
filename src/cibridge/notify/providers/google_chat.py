"""Google Chat through a space's incoming webhook: a cardsV2 card with a ``text`` fallback,
one thread per run (``threadKey`` with ``messageReplyOption=
REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD``: the run's first message starts the thread, the
others reply in it).

The webhook URL carries the space, an API ``key`` and a ``token``: the whole URL is a
secret, and a dry run shows the space's path with both masked. A webhook cannot edit a
message, so --update is refused before anything is sent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MAX_TEXT = 4096
MAX_BYTES = 32_000  # a message, cards included
NOTE = " … (cut to fit Google Chat's limits)"
REPLY = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
HINTS = {
    "UNAUTHENTICATED": "the webhook's token is wrong or the webhook was deleted; copy its URL "
    "again (space > Apps & integrations > Webhooks)",
    "PERMISSION_DENIED": "the webhook no longer has access to the space",
    "INVALID_ARGUMENT": "the message is not a valid Chat message; preview it with "
    "`cibridge render`",
    "NOT_FOUND": "the space (or the thread) does not exist",
    "RESOURCE_EXHAUSTED": "Google Chat's quota: 1 message a second per space",
}


class GoogleChat(ProviderBase):
    name = "google_chat"
    label = "Google Chat"
    mention_keys = ("google_chat",)

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or not ("text" in payload or "cardsV2" in payload):
            raise CibridgeError(
                "Google Chat template must produce a mapping with `text` or `cardsV2`"
            )
        if options.update:
            raise CibridgeError(
                "Google Chat: a webhook cannot update a message",
                hint="leave out --update for google_chat; each step's message goes to the "
                "run's thread instead",
            )
        url = self.settings.webhook_url(
            "Google Chat",
            "GOOGLE_CHAT_WEBHOOK_URL",
            "add a webhook to the space (Apps & integrations > Webhooks) and set "
            "GOOGLE_CHAT_WEBHOOK_URL to its URL, or webhook_url_ref under "
            "integration_configs.communication.google_chat",
        )
        message = json.loads(json.dumps(payload))
        pings = " ".join(
            f"<users/{m['google_chat']}>" for m in options.mentions if m.get("google_chat")
        )
        text = str(message.get("text") or "")
        room = MAX_TEXT - (len(pings) + 1 if pings else 0)
        text = text if len(text) <= room else limits.chars(text, room - len(NOTE)) + NOTE
        message["text"] = f"{text}\n{pings}".strip() if pings else text
        # What is left after the text: the cards' texts give way, longest first.
        limits.shrink(message, MAX_BYTES, lambda m: len(json.dumps(m, ensure_ascii=False).encode()))
        base, _, given = url.partition("?")
        query = dict(parse_qsl(given))
        key = options.thread or options.run
        if key:
            query.update({"threadKey": key, "messageReplyOption": REPLY})
        from cibridge.core.redact import MASK
        from cibridge.core.urls import origin

        # The space's id is in the path, which the redactor masks as part of the webhook.
        shown_query = {k: (MASK if k in ("key", "token") else v) for k, v in query.items()}
        shown = f"{origin(url)}/v1/spaces/{MASK}/messages?{urlencode(shown_query)}"
        return Delivery("POST", f"{base}?{urlencode(query)}", message, shown=shown)

    def outcome(self, response: Response) -> Outcome:
        data = response.json()
        if response.ok and isinstance(data, dict) and data.get("name"):
            # The last part only: spaces/<space>/… names the space, which is part of the
            # webhook's address (a secret), so a whole name would come out masked.
            thread = data.get("thread")
            thread_name = str(thread.get("name", "")) if isinstance(thread, dict) else ""
            return Outcome(
                True,
                message_id=excerpt(str(data["name"]).rsplit("/", 1)[-1], 120),
                channel_id=excerpt(thread_name.rsplit("/", 1)[-1], 120),
            )
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return Outcome(False, f"HTTP {response.status}: {response.excerpt()}")
        status = excerpt(str(error.get("status", "")), 40)
        message = excerpt(str(error.get("message", "")), 300)
        return Outcome(
            False,
            f"{status} ({error.get('code', response.status)}): {message}",
            HINTS.get(status, ""),
        )
