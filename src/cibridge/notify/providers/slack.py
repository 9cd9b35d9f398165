"""Slack: incoming webhooks, or the Web API (chat.postMessage / chat.update) with a bot token.

With the Web API every message carries its values as message metadata (event type
``cibridge_notify``); an update reads them back with conversations.history first, so
"deploy succeeded" keeps the environment and links "deploy running" had.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, Recalled, SendOptions
from cibridge.notify.settings import ProviderSettings

if TYPE_CHECKING:
    from cibridge.http.transport import Response

DEFAULT_API = "https://slack.com/api"
METADATA_EVENT = "cibridge_notify"
MAX_BLOCKS = 50
MAX_TOTAL = 12_000  # the API starts refusing (msg_blocks_too_long) around 13.2k
TEXT_LIMITS = {"header": 150, "section": 3000, "context": 2000, "field": 2000, "button": 75}

HINTS = {
    "invalid_payload": "the message is not valid Block Kit; preview it with `cibridge render`",
    "user_not_found": "a mentioned user id does not exist in this workspace",
    "action_prohibited": "a workspace admin restricted this webhook",
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "channel_is_archived": "unarchive the channel or send elsewhere",
    "is_archived": "unarchive the channel or send elsewhere",
    "no_service": "the webhook was revoked; create a new one",
    "invalid_token": "the webhook or token is no longer valid",
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token (xoxb-...)",
    "not_authed": "no token was sent; set SLACK_BOT_TOKEN",
    "account_inactive": "the token's app or user was deactivated",
    "token_revoked": "the token was revoked; reinstall the app",
    "missing_scope": "add the chat:write scope to the app and reinstall it",
    "not_in_channel": "invite the app to the channel (/invite @your-app)",
    "message_not_found": "--update/--thread names a ts that is not in this channel",
    "cant_update_message": "only messages this bot posted can be updated",
    "msg_too_long": "the text is too long; shorten the template",
    "msg_blocks_too_long": "the blocks are too long; shorten the template",
    "invalid_blocks": "a block is malformed; preview with `cibridge render`",
    "rollup_error": "Slack had an internal error; try again",
    "ratelimited": "Slack rate limit (about 1 message per second per channel)",
}
# Reading a message back (conversations.history) needs more than posting it.
RECALL_HINTS = {
    "missing_scope": "add the channels:history scope (groups:history for a private channel) "
    "to the app and reinstall it",
    "channel_not_found": "pass the channel's id (the channel-id output of the step that "
    "posted), not its name",
    "not_in_channel": "invite the app to the channel (/invite @your-app)",
}


class Slack(ProviderBase):
    name = "slack"
    label = "Slack"
    uses_channel = True
    mention_keys = ("slack",)
    api_url_env = "SLACK_API_URL"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self.api = False  # set by _target: Web API with a bot token, else a webhook

    def _target(self) -> tuple[str, dict[str, str]]:
        token = self.settings.secret("bot_token", "SLACK_BOT_TOKEN")
        if token:
            self.api = True
            base = self.settings.api_url(self.label, self.api_url_env, DEFAULT_API)
            return base, {"Authorization": f"Bearer {token}"}
        url = self.settings.webhook_url(
            "Slack",
            "SLACK_WEBHOOK_URL",
            "set SLACK_WEBHOOK_URL (incoming webhook) or SLACK_BOT_TOKEN (Web API), or "
            "webhook_url_ref under integration_configs.communication.slack",
        )
        return url, {}

    def web_api(self) -> tuple[str, str] | None:
        """The Web API's base URL and the bot token, or None where only a webhook is set
        (what files need: a webhook cannot upload)."""
        token = self.settings.secret("bot_token", "SLACK_BOT_TOKEN")
        if not token:
            return None
        return self.settings.api_url(self.label, self.api_url_env, DEFAULT_API), token

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict):
            raise CibridgeError("Slack template must produce a mapping (text, blocks, ...)")
        message = fit(payload)
        target, headers = self._target()
        channel = self.settings.channel(options.channel)
        if not self.api:
            if options.update or options.thread:
                raise CibridgeError(
                    "Slack: --update and --thread need the Web API (a bot token), not a webhook",
                    hint="set SLACK_BOT_TOKEN and a channel",
                )
            if channel:
                message["channel"] = channel
            return Delivery("POST", target, message, headers)
        if not channel:
            raise CibridgeError(
                "Slack: the Web API needs a channel",
                hint="pass --channel C0123456789 (or a key of `channels`), or set `channel` in the "
                "config",
            )
        message["channel"] = channel
        # A template's own metadata is its author's choice; cibridge's goes everywhere else.
        message.setdefault(
            "metadata", {"event_type": METADATA_EVENT, "event_payload": dict(options.remember)}
        )
        method = "chat.postMessage"
        if options.update:
            method = "chat.update"
            message["ts"] = options.update
        elif options.thread:
            message["thread_ts"] = options.thread
            if options.broadcast:
                message["reply_broadcast"] = True
        return Delivery("POST", f"{target}/{method}", message, headers, public_url=True)

    def recall(self, channel: str | None, message_id: str) -> Delivery | None:
        from urllib.parse import urlencode

        target, headers = self._target()
        channel = self.settings.channel(channel)
        if not self.api or not channel:
            return None  # prepare() says what is missing
        # The one message at exactly this ts: latest = oldest = ts, inclusive.
        query = urlencode(
            {
                "channel": channel,
                "latest": message_id,
                "oldest": message_id,
                "inclusive": "true",
                "limit": "1",
                "include_all_metadata": "true",
            }
        )
        return Delivery(
            "GET", f"{target}/conversations.history?{query}", None, headers, public_url=True
        )

    def recalled(self, response: Response, message_id: str) -> Recalled:
        lost = "so the update shows only this step's values"
        data = response.json()
        if not isinstance(data, dict):
            return Recalled(
                problem=f"could not read the message back (conversations.history answered "
                f"HTTP {response.status}, not a Slack API answer: {response.excerpt()}), {lost}"
            )
        if data.get("ok") is not True:
            code = excerpt(data.get("error") or f"HTTP {response.status}", 80)
            hint = RECALL_HINTS.get(code) or HINTS.get(code, "")
            return Recalled(
                problem=f"could not read the message back (conversations.history: {code}), "
                f"{lost}" + (f"; {hint}" if hint else "")
            )
        messages = data.get("messages")
        found = [
            m
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, dict) and m.get("ts") == message_id
        ]
        if not found:
            return Recalled()  # chat.update then says message_not_found, with its hint
        metadata = found[0].get("metadata")
        payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
        if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
            return Recalled(
                problem="the message to update carries no cibridge metadata (posted by another "
                f"app or an older cibridge), {lost}"
            )
        values = payload if isinstance(payload, dict) else {}
        return Recalled(
            {str(k): v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}
        )

    def outcome(self, response: Response) -> Outcome:
        if not self.api:
            body = response.excerpt()
            if response.ok:
                return Outcome(ok=True)
            code = body or f"HTTP {response.status}"
            return Outcome(False, f"HTTP {response.status} {code}", HINTS.get(body, ""))
        data = response.json()
        if not isinstance(data, dict):
            return Outcome(
                False, f"HTTP {response.status}, not a Slack API answer: {response.excerpt()}"
            )
        if data.get("ok") is True:
            return Outcome(
                True,
                message_id=excerpt(data.get("ts", ""), 40),
                channel_id=excerpt(data.get("channel", ""), 40),
            )
        code = excerpt(data.get("error") or f"HTTP {response.status}", 80)
        metadata = data.get("response_metadata")
        messages = metadata.get("messages") if isinstance(metadata, dict) else None
        detail = excerpt("; ".join(str(m) for m in messages)) if isinstance(messages, list) else ""
        return Outcome(False, code + (f" ({detail})" if detail else ""), HINTS.get(code, ""))


def _blocks(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    groups = [message["blocks"]] if isinstance(message.get("blocks"), list) else []
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("blocks"), list):
            groups.append(attachment["blocks"])
    return groups


def _cut_text(obj: Any, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = limits.chars(obj["text"], limit)


def fit(message: dict[str, Any]) -> dict[str, Any]:
    """Apply Slack's documented limits so the API never rejects for size."""
    message = json.loads(json.dumps(message))
    budget = MAX_BLOCKS
    for group in _blocks(message):
        del group[budget:]
        budget -= len(group)
        for block in group:
            kind = block.get("type")
            if kind == "header":
                _cut_text(block.get("text"), TEXT_LIMITS["header"])
            elif kind == "section":
                _cut_text(block.get("text"), TEXT_LIMITS["section"])
                if isinstance(block.get("fields"), list):
                    del block["fields"][10:]
                    for item in block["fields"]:
                        _cut_text(item, TEXT_LIMITS["field"])
            elif kind == "context" and isinstance(block.get("elements"), list):
                del block["elements"][10:]
                for item in block["elements"]:
                    _cut_text(item, TEXT_LIMITS["context"])
            elif kind == "actions" and isinstance(block.get("elements"), list):
                del block["elements"][25:]
                for item in block["elements"]:
                    _cut_text(item.get("text"), TEXT_LIMITS["button"])
    if not message.get("text"):
        message["text"] = _first_text(message) or "cibridge notification"
    message["text"] = limits.chars(str(message["text"]), 3000)
    size = lambda m: len(json.dumps(m, ensure_ascii=False))  # noqa: E731
    while not limits.shrink(message, MAX_TOTAL, size):
        # Too many blocks for any text to fit: drop the last block of the longest group.
        groups = [group for group in _blocks(message) if len(group) > 1]
        if not groups:
            break
        max(groups, key=len).pop()
    return message


def _first_text(message: dict[str, Any]) -> str:
    for group in _blocks(message):
        for block in group:
            text = block.get("text")
            if isinstance(text, dict) and text.get("text"):
                return str(text["text"])
    return ""
