"""Slack: incoming webhooks and the Web API's chat.postMessage / chat.update / chat.delete,
conversations.history / conversations.replies / conversations.list, with message metadata
and cursor paging.

Blocks are validated by slack_sdk's own models when it is installed (the test extras),
otherwise against Slack's documented limits only; errors are Slack's real ones (plain
text for webhooks, ``{"ok": false, "error": ...}`` in an HTTP 200 for the Web API).
"""

from __future__ import annotations

import json
import re
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from cibridge.demo.standins.server import Answer, Behaviour, Request
from cibridge.demo.standins.slack_files import PATHS as FILES_PATHS
from cibridge.demo.standins.slack_files import SlackFiles

SLACK_TOKEN = "xoxb-standin-token"  # noqa: S105 - a stand-in's own credential
SLACK_HOOK = "/slack/services/T0STANDIN/B0STANDIN/standinhooksecret"
SLACK_CHANNELS = {
    "#deployments": "C0DEPLOYS",
    "#ci-cd-notifications": "C0CINOTES",
    "C0DEPLOYS": "C0DEPLOYS",
}
# What conversations.list lists: a channel's id and its name without the "#".
SLACK_CHANNEL_LIST = (
    {"id": "C0DEPLOYS", "name": "deployments"},
    {"id": "C0CINOTES", "name": "ci-cd-notifications"},
)
_CURSOR = "dXNlcjpV"  # Slack's cursors are opaque base64; this one prefixes an offset


def slack_block_errors(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > 50:
        return [f"no more than 50 items allowed [json-pointer:/blocks] ({len(blocks)})"]
    try:
        from slack_sdk.errors import SlackObjectFormationError
        from slack_sdk.models.blocks import Block
    except ImportError:  # the demo without test extras: limits only
        return _slack_limit_errors(blocks)
    errors = []
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                errors.append(f"unsupported block type at [json-pointer:/blocks/{index}]")
                continue
            block.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
            errors.append(f"{error} [json-pointer:/blocks/{index}]")
    return errors + _slack_limit_errors(blocks)


def _slack_limit_errors(blocks: list[Any]) -> list[str]:
    errors = []
    for index, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "") if isinstance(block, dict) else ""
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header" and len(text) > 150:
            errors.append(f"must be less than 151 characters [json-pointer:/blocks/{index}/text]")
        if kind == "section" and len(text) > 3000:
            errors.append(f"must be less than 3001 characters [json-pointer:/blocks/{index}/text]")
        if kind == "section" and len(block.get("fields") or []) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:/blocks/{index}/fields]")
    return errors


def _message_error(payload: dict[str, Any]) -> str:
    if not payload.get("text") and not payload.get("blocks") and not payload.get("attachments"):
        return "no_text"
    groups = [payload.get("blocks")] if "blocks" in payload else []
    groups += [a.get("blocks") for a in payload.get("attachments") or [] if "blocks" in a]
    if sum(len(g) for g in groups if isinstance(g, list)) > 50:
        return "invalid_blocks"
    for group in groups:
        if slack_block_errors(group):
            return "invalid_blocks"
    if len(json.dumps(groups, ensure_ascii=False)) > 13_200:
        return "msg_blocks_too_long"
    if len(str(payload.get("text", ""))) > 40_000:
        return "msg_too_long"
    return ""


def _api_error(error: str, status: int = 200, **extra: str) -> Answer:
    return Answer(status, {"ok": False, "error": error, **extra})


# Slack: "Event types can contain letters, numbers, underscores, and hyphens"; metadata
# that breaks the rules is dropped with a warning, the message still posted.
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")


def _metadata_warning(payload: dict[str, Any]) -> str:
    if "metadata" not in payload:
        return ""
    metadata = payload["metadata"]
    if metadata == {}:
        return ""  # chat.update's way of removing metadata
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not _EVENT_TYPE.match(metadata["event_type"])
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        return "invalid_metadata_schema"
    return ""


def _ts(value: Any) -> Decimal | None:
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


class Slack:
    name = "slack"
    prefix = "/slack"

    def __init__(self, behaviour: Behaviour) -> None:
        # Posted messages live in the behaviour so a test can seed one to update or reply to.
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self._ts = 0
        self._history_reads = 0
        self.tokens = {SLACK_TOKEN}  # a test adds its own (a canary)
        self.files = SlackFiles(behaviour, self.tokens, SLACK_CHANNELS)

    def env(self, base_url: str) -> dict[str, str]:
        # The Web API needs a token and a channel, which a test chooses; only the hook is set.
        return {"SLACK_WEBHOOK_URL": base_url + SLACK_HOOK}

    def handle(self, request: Request) -> Answer:
        if request.path.startswith(FILES_PATHS):  # files.* and the upload URL: slack_files
            return self.files.handle(request)
        reads = {
            "/slack/api/conversations.history": self._history,
            "/slack/api/conversations.replies": self._replies,
            "/slack/api/conversations.list": self._list,
        }
        if request.method == "GET" and request.path in reads:
            return reads[request.path](request)
        if request.method != "POST":
            return Answer(405, b"method_not_allowed", {"Allow": "POST"})
        try:
            payload = request.json()
        except ValueError:
            return Answer(400, b"invalid_payload")
        if request.path == SLACK_HOOK:
            error = _message_error(payload)
            return Answer(400, error.encode()) if error else Answer(200, b"ok")
        if request.path.startswith("/slack/services/"):
            return Answer(403, b"invalid_token")
        return self._web_api(request, payload)

    def _web_api(self, request: Request, payload: dict[str, Any]) -> Answer:
        method = request.path.rsplit("/", 1)[-1]
        if not self._token(request):
            return _api_error("invalid_auth")
        if method not in ("chat.postMessage", "chat.update", "chat.delete"):
            return _api_error("unknown_method", 404)
        channel = SLACK_CHANNELS.get(str(payload.get("channel", "")))
        if channel is None:
            return _api_error("channel_not_found")
        if method == "chat.delete":
            return self._delete(channel, str(payload.get("ts", "")))
        error = _message_error(payload)
        if error:
            return _api_error(error)
        warning = _metadata_warning(payload)
        if warning:
            payload = {k: v for k, v in payload.items() if k != "metadata"}
        warned = {"warning": warning, "response_metadata": {"warnings": [warning]}}
        messages = self.behaviour.slack_messages
        if method == "chat.update":
            key = f"{channel}/{payload.get('ts')}"
            if key not in messages:
                return _api_error("message_not_found")
            # Slack: without `metadata` an update keeps the message's metadata; {} removes it.
            kept = messages[key].get("metadata")
            messages[key] = dict(payload)
            if "metadata" not in payload and kept:
                messages[key]["metadata"] = kept
            elif payload.get("metadata") == {}:
                del messages[key]["metadata"]
            body = {"ok": True, "channel": channel, "ts": payload["ts"]}
            return Answer(
                200, {**body, "text": payload.get("text", ""), **(warned if warning else {})}
            )
        thread = payload.get("thread_ts")
        if thread and f"{channel}/{thread}" not in messages:
            return _api_error("thread_not_found")
        if "reply_broadcast" in payload and not isinstance(payload["reply_broadcast"], bool):
            return _api_error("invalid_arguments")
        with self._lock:
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
        messages[f"{channel}/{ts}"] = payload
        body = {"ok": True, "channel": channel, "ts": ts, "message": payload}
        return Answer(200, {**body, **(warned if warning else {})})

    def _history(self, request: Request) -> Answer:
        """conversations.history as Slack answers it: a channel id only (a name is
        channel_not_found), the channels:history scope, metadata only when asked for."""
        refused = self._authorised(request)
        if refused is not None:
            return refused
        barrier = self.behaviour.slack_history_barrier
        if barrier is not None:
            with self._lock:
                self._history_reads += 1
                waits = self._history_reads <= barrier.parties
            if waits:
                barrier.wait(timeout=60)
        query = request.query
        channel = query.get("channel", "")
        if channel not in SLACK_CHANNELS.values():
            return _api_error("channel_not_found")
        oldest, latest = _ts(query.get("oldest", "0")), _ts(query.get("latest", "9e12"))
        if oldest is None:
            return _api_error("invalid_ts_oldest")
        if latest is None:
            return _api_error("invalid_ts_latest")
        inclusive = query.get("inclusive", "") in ("true", "1")
        try:
            limit = max(1, min(999, int(query.get("limit", "100"))))
        except ValueError:
            return _api_error("invalid_limit")
        metadata = query.get("include_all_metadata", "") in ("true", "1")
        found = []
        for ts, stored in self._in(channel):
            at = _ts(ts)
            if (
                at is None
                or at < oldest
                or at > latest
                or (at in (oldest, latest) and not inclusive)
            ):
                continue
            # A thread's replies are not the channel's history, unless sent there too.
            if stored.get("thread_ts") and stored.get("reply_broadcast") is not True:
                continue
            found.append((at, self._shown(ts, stored, metadata)))
        found.sort(key=lambda item: item[0], reverse=True)  # newest first, as Slack lists
        return self._page([message for _, message in found], query, limit)

    def _in(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        listed = []
        for key, stored in list(self.behaviour.slack_messages.items()):
            where, _, ts = key.partition("/")
            if where == channel:
                listed.append((ts, stored))
        return listed

    @staticmethod
    def _shown(ts: str, stored: dict[str, Any], metadata: bool) -> dict[str, Any]:
        message = {"type": "message", "bot_id": stored.get("bot_id", "B0STANDIN"), "ts": ts}
        message.update(
            {k: stored[k] for k in ("text", "blocks", "attachments", "thread_ts") if k in stored}
        )
        if metadata and stored.get("metadata"):
            message["metadata"] = stored["metadata"]
        return message

    @staticmethod
    def _page(items: list[Any], query: dict[str, str], limit: int, key: str = "messages") -> Answer:
        """One page from the cursor on, and the cursor of the next (Slack: "" at the end)."""
        cursor = query.get("cursor", "")
        start = 0
        if cursor:
            if not cursor.startswith(_CURSOR) or not cursor[len(_CURSOR) :].isdigit():
                return _api_error("invalid_cursor")
            start = int(cursor[len(_CURSOR) :])
        page = items[start : start + limit]
        more = start + limit < len(items)
        body: dict[str, Any] = {"ok": True, key: page}
        if key == "messages":
            body["has_more"] = more
        body["response_metadata"] = {"next_cursor": f"{_CURSOR}{start + limit}" if more else ""}
        return Answer(200, body)

    def _token(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and given[len("Bearer ") :] in self.tokens

    def _authorised(self, request: Request) -> Answer | None:
        if not self._token(request):
            return _api_error("invalid_auth")
        if not self.behaviour.slack_history_scope:
            return _api_error("missing_scope", needed="channels:history", provided="chat:write")
        return None

    def _replies(self, request: Request) -> Answer:
        """conversations.replies: the parent first, then its replies oldest first."""
        refused = self._authorised(request)
        if refused is not None:
            return refused
        query = request.query
        channel = query.get("channel", "")
        if channel not in SLACK_CHANNELS.values():
            return _api_error("channel_not_found")
        parent = query.get("ts", "")
        if not parent:
            return _api_error("invalid_arguments")
        messages = dict(self._in(channel))
        if parent not in messages:
            return _api_error("thread_not_found")
        try:
            limit = max(1, min(1000, int(query.get("limit", "1000"))))
        except ValueError:
            return _api_error("invalid_limit")
        metadata = query.get("include_all_metadata", "") in ("true", "1")
        thread = sorted(
            (ts for ts, stored in messages.items() if stored.get("thread_ts") == parent),
            key=lambda ts: _ts(ts) or Decimal(0),
        )
        listed = [self._shown(ts, messages[ts], metadata) for ts in [parent, *thread]]
        return self._page(listed, query, limit)

    def _list(self, request: Request) -> Answer:
        """conversations.list: the channels:read scope; types a comma list Slack knows."""
        if not self._token(request):
            return _api_error("invalid_auth")
        known = {"public_channel", "private_channel", "mpim", "im"}
        types = set(request.query.get("types", "public_channel").split(","))
        if not types <= known:
            return _api_error("invalid_types")
        try:
            limit = max(1, min(1000, int(request.query.get("limit", "100"))))
        except ValueError:
            return _api_error("invalid_limit")
        channels = [{**c, "is_channel": True, "is_archived": False} for c in SLACK_CHANNEL_LIST]
        return self._page(channels, request.query, limit, "channels")

    def _delete(self, channel: str, ts: str) -> Answer:
        key = f"{channel}/{ts}"
        if key not in self.behaviour.slack_messages:
            return _api_error("message_not_found")
        del self.behaviour.slack_messages[key]
        return Answer(200, {"ok": True, "channel": channel, "ts": ts})
