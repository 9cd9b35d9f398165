"""Slack's Web API for what a release thread needs besides posting: finding a channel's id,
reading a channel's recent messages and a thread with their metadata, updating and deleting.

Methods (docs.slack.dev/reference/methods): ``conversations.list`` (``channels:read``,
``groups:read`` for private ones), ``conversations.history`` and ``conversations.replies``
(``channels:history`` / ``groups:history``; ``include_all_metadata`` returns each message's
metadata), ``chat.postMessage`` / ``chat.update`` / ``chat.delete`` (``chat:write``). Lists are
paged with ``cursor`` and ``response_metadata.next_cursor``. Every answer is HTTP 200 with
``ok``: a false ``ok`` is an error whatever the status says, with Slack's ``error`` code.

Rate limits: history and replies are Tier 3 (50+ a minute) for internal apps and Marketplace
apps; a commercially distributed app outside the Marketplace created after 2025-05-29 gets
1 a minute and 15 messages a page (docs.slack.dev/apis/web-api/rate-limits). A 429 is waited
out by the transport (``Retry-After``, bounded by CIBRIDGE_HTTP_MAX_WAIT).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cibridge.core.errors import CibridgeError, failure
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.http.transport import Transport

DEFAULT_API = "https://slack.com/api"
PAGE = 200  # Slack: "we recommend no more than 200 results at a time"
# Slack's ids: C (public), G (private, older), D (direct), followed by upper-case letters
# and digits. A name needs conversations.list, since history takes ids only.
_ID_PREFIXES = ("C", "G", "D")

HINTS = {
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token (xoxb-...)",
    "not_authed": "no token was sent; set SLACK_BOT_TOKEN",
    "account_inactive": "the token's app or user was deactivated",
    "token_revoked": "the token was revoked; reinstall the app",
    "channel_not_found": "the channel does not exist or the bot cannot see it; pass its id "
    "(C0123456789)",
    "not_in_channel": "invite the app to the channel (/invite @your-app)",
    "is_archived": "unarchive the channel or send elsewhere",
    "channel_is_archived": "unarchive the channel or send elsewhere",
    "message_not_found": "the message is no longer in the channel",
    "thread_not_found": "the thread's parent is no longer in the channel",
    "cant_update_message": "only messages this bot posted can be updated",
    "cant_delete_message": "only messages this bot posted can be deleted",
    "ratelimited": "Slack's rate limit; fewer calls a minute, or a Marketplace/internal app",
}
SCOPES = {
    "conversations.list": "channels:read (groups:read for a private channel)",
    "conversations.history": "channels:history (groups:history for a private channel)",
    "conversations.replies": "channels:history (groups:history for a private channel)",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
}


def is_channel_id(value: str) -> bool:
    return (
        len(value) >= 9 and value[0] in _ID_PREFIXES and value.isalnum() and value.upper() == value
    )


@dataclass
class SlackApi:
    """One bot token against one Web API base; counts the calls it made."""

    base: str
    token: str
    transport: Transport
    timeout: float | None = None
    calls: int = 0
    _ids: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        """One method: a read as GET with a query (safe to retry), a write as a JSON POST."""
        headers = {"Authorization": f"Bearer {self.token}"}
        url = f"{self.base}/{method}"
        self.calls += 1
        if read:
            query = urlencode({k: _arg(v) for k, v in args.items()})
            response = self.transport.request(
                "GET",
                f"{url}?{query}",
                headers=headers,
                timeout=self.timeout,
                what=f"Slack {method}",
            )
        else:
            response = self.transport.request(
                "POST", url, json=dict(args), headers=headers, timeout=self.timeout,
                what=f"Slack {method}",
            )  # fmt: skip
        data = response.json()
        if not isinstance(data, dict):
            raise failure(
                f"Slack {method}: HTTP {response.status}, not a Slack API answer: "
                f"{response.excerpt()}",
                hint="check SLACK_API_URL",
            )
        if data.get("ok") is not True:
            code = excerpt(data.get("error") or f"HTTP {response.status}", 80)
            hint = HINTS.get(code, "")
            if code == "missing_scope":
                hint = f"add the {SCOPES.get(method, 'needed')} scope to the app and reinstall it"
            raise SlackError(method, code, hint)
        return data

    def channel_id(self, channel: str) -> str:
        """The id of a channel given by id or by name (``#name`` or ``name``), looked up once."""
        if is_channel_id(channel):
            return channel
        name = channel.lstrip("#")
        if name in self._ids:
            return self._ids[name]
        for page in self._pages(
            "conversations.list",
            {"types": "public_channel,private_channel", "exclude_archived": True},
            "channels",
        ):
            for found in page:
                if isinstance(found, dict) and found.get("name") == name:
                    self._ids[name] = str(found.get("id", ""))
                    return self._ids[name]
        raise CibridgeError(
            f"Slack: no channel named #{name} that the bot can see",
            hint="invite the app to the channel, or pass the channel's id (C0123456789)",
        )

    def history(
        self, channel: str, oldest: float, max_pages: int
    ) -> Iterator[list[dict[str, Any]]]:
        """The channel's messages since ``oldest``, a page at a time, newest first, with their
        metadata (thread replies are not among them, unless broadcast)."""
        args = {"channel": channel, "oldest": f"{oldest:.6f}", "include_all_metadata": True}
        for page in self._pages("conversations.history", args, "messages", max_pages):
            yield [m for m in page if isinstance(m, dict)]

    def replies(self, channel: str, ts: str, max_pages: int) -> list[dict[str, Any]]:
        """A thread: its parent first, then the replies oldest first, with their metadata."""
        args = {"channel": channel, "ts": ts, "include_all_metadata": True}
        return [
            m
            for page in self._pages("conversations.replies", args, "messages", max_pages)
            for m in page
            if isinstance(m, dict)
        ]

    def _pages(
        self, method: str, args: Mapping[str, Any], key: str, max_pages: int = 10
    ) -> Iterator[list[Any]]:
        cursor = ""
        for _ in range(max_pages):
            paged = {**args, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            data = self.call(method, paged, read=True)
            items = data.get(key)
            if not isinstance(items, list):
                raise failure(f"Slack {method}: the answer has no `{key}` list")
            yield items
            metadata = data.get("response_metadata")
            cursor = str(metadata.get("next_cursor") or "") if isinstance(metadata, dict) else ""
            if not cursor:
                return


class SlackError(CibridgeError):
    """Slack answered ``ok: false``: its error code, for callers that handle one."""

    def __init__(self, method: str, code: str, hint: str) -> None:
        super().__init__(f"Slack {method}: {code}", hint=hint, exit_code=1)
        self.code = code


def _arg(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
