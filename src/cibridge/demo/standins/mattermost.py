"""Mattermost: incoming webhooks and the REST API v4's posts (create, patch, get).

The payloads are read the way the server reads them (a webhook body is JSON, or a form
with ``payload=``; attachments must have the shape of its SlackAttachment), the limits are
the server's (16,383 characters a post; a longer webhook text becomes several posts), and
errors are its AppError bodies: ``{"id", "message", "detailed_error", "request_id",
"status_code"}``. :func:`pings` applies the server's mention rule, so a test can see who a
post would notify.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from cibridge.demo.standins.server import Answer, Behaviour, Request


def _id(seed: str) -> str:
    return seed.ljust(26, "0")[:26]


MATTERMOST_HOOK = _id("standinmattermosthook")
MATTERMOST_TOKEN = _id("standinmattermosttoken")
MATTERMOST_CHANNELS = {  # name -> id; the API takes ids, a webhook's override names
    "town-square": _id("townsquare"),
    "deployments": _id("deployments"),
}
MAX_MESSAGE = 16_383  # model.PostMessageMaxRunesV2
_VALID_ID = re.compile(r"^[a-z0-9]{26}$")
# model.PossibleAtMentions: "@" then a letter or digit, where "@" does not follow a word
# character; the name runs on over letters, digits and . - _ :
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9.\-_:]*)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def pings(post: dict[str, Any]) -> set[str]:
    """Who the server would notify for ``post``: @names in its message and in its
    attachments' pretext, text and field values, outside code (channel-wide ones too)."""
    texts = [str(post.get("message", ""))]
    for attachment in (post.get("props") or {}).get("attachments") or []:
        texts += [str(attachment.get("pretext", "")), str(attachment.get("text", ""))]
        texts += [str(f.get("value", "")) for f in attachment.get("fields") or []]
    found = set()
    for text in texts:
        for name in _MENTION.findall(_CODE.sub("", text)):
            found.add(name.rstrip(".-_:").lower())
    return found


def _error(status: int, app_id: str, message: str, detail: str = "") -> Answer:
    return Answer(
        status,
        {
            "id": app_id,
            "message": message,
            "detailed_error": detail,
            "request_id": secrets.token_hex(13),
            "status_code": status,
        },
    )


def _attachments_error(attachments: Any) -> str:
    """What the server's json.Unmarshal into []*SlackAttachment would refuse."""
    if attachments is None:
        return ""
    if not isinstance(attachments, list):
        return "json: cannot unmarshal attachments into []*model.SlackAttachment"
    strings = ("fallback", "color", "pretext", "title", "title_link", "text", "footer")
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, dict):
            return f"attachments[{index}]: cannot unmarshal into model.SlackAttachment"
        for key in strings:
            if key in attachment and not isinstance(attachment[key], str):
                return f"attachments[{index}].{key}: cannot unmarshal into string"
        fields = attachment.get("fields", [])
        if not isinstance(fields, list):
            return f"attachments[{index}].fields: cannot unmarshal into []*SlackAttachmentField"
        for number, field in enumerate(fields):
            if not isinstance(field, dict) or not isinstance(field.get("title", ""), str):
                return f"attachments[{index}].fields[{number}]: cannot unmarshal"
            if "short" in field and not isinstance(field["short"], bool):
                return f"attachments[{index}].fields[{number}].short: cannot unmarshal into bool"
    return ""


class Mattermost:
    name = "mattermost"
    prefix = "/mattermost"

    def __init__(self, behaviour: Behaviour) -> None:
        # Posts live in the behaviour so a test can seed one to update or reply to.
        self.behaviour = behaviour
        self._lock = threading.Lock()

    def env(self, base_url: str) -> dict[str, str]:
        # The API needs a token and a channel id, which a test chooses; only the hook is set.
        return {"MATTERMOST_WEBHOOK_URL": f"{base_url}/mattermost/hooks/{MATTERMOST_HOOK}"}

    def handle(self, request: Request) -> Answer:
        path = request.path.removeprefix(self.prefix)
        if path.startswith("/api/v4/"):
            return self._api(request, path.removeprefix("/api/v4"))
        if request.method != "POST":
            return Answer(405, b"405 method not allowed", {"Allow": "POST"})
        if path.startswith("/hooks/"):
            return self._hook(request, path.removeprefix("/hooks/"))
        return _error(404, "api.context.404.app_error", "Sorry, we could not find the page.")

    def _post(
        self, channel: str, message: str, props: dict[str, Any], root: str = ""
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        post_id = secrets.token_hex(13)  # 26 lower-case hex digits: a valid Mattermost id
        with self._lock:
            post: dict[str, Any] = {
                "id": post_id,
                "create_at": now,
                "update_at": now,
                "edit_at": 0,
                "delete_at": 0,
                "user_id": _id("standinbot"),
                "channel_id": channel,
                "root_id": root,
                "message": message,
                "type": "",
                "props": props,
                "metadata": {},
            }
            self.behaviour.mattermost_posts[post_id] = post
        return post

    def _hook(self, request: Request, hook: str) -> Answer:
        if hook != MATTERMOST_HOOK:
            return _error(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
        raw = request.raw
        if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            raw = parse_qs(raw.decode("utf-8", "replace")).get("payload", [""])[0].encode()
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError) as error:
            return _error(
                400,
                "web.incoming_webhook.parse.app_error",
                "Unable to parse incoming data",
                str(error),
            )
        attachments = payload.get("attachments")
        problem = _attachments_error(attachments)
        if problem:
            return _error(
                400,
                "web.incoming_webhook.parse.app_error",
                "Unable to parse incoming data",
                problem,
            )
        text = payload.get("text", "")
        if not isinstance(text, str):
            return _error(
                400, "web.incoming_webhook.parse.app_error", "Unable to parse incoming data"
            )
        if not text and not attachments:
            return _error(400, "web.incoming_webhook.text.app_error", "No text specified.")
        channel = MATTERMOST_CHANNELS["town-square"]
        if payload.get("channel"):
            name = str(payload["channel"]).lstrip("#~")
            if name not in MATTERMOST_CHANNELS:
                return _error(
                    404, "web.incoming_webhook.channel.app_error", "Couldn't find the channel."
                )
            channel = MATTERMOST_CHANNELS[name]
        props: dict[str, Any] = {"from_webhook": "true"}
        if attachments:
            props["attachments"] = attachments
        for key in ("username", "icon_url"):
            if payload.get(key):
                props[f"override_{key}"] = payload[key]
        # The server splits a text over the post size into several posts; attachments ride
        # on the last one.
        parts = [text[i : i + MAX_MESSAGE] for i in range(0, len(text), MAX_MESSAGE)] or [""]
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            self._post(channel, part, props if last else {"from_webhook": "true"})
        return Answer(200, b"ok")

    def _api(self, request: Request, path: str) -> Answer:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if sent != MATTERMOST_TOKEN:
            # The server names the token it refused in detailed_error: a client must not
            # print it back.
            return _error(
                401,
                "api.context.session_expired.app_error",
                "Invalid or expired session, please login again.",
                f"token={sent}",
            )
        match = re.fullmatch(r"/posts(?:/([^/]+)(/patch)?)?", path)
        if match is None:
            return _error(404, "api.context.404.app_error", "Sorry, we could not find the page.")
        post_id, patch = match[1], bool(match[2])
        if post_id is None:
            if request.method != "POST":
                return Answer(405, b"405 method not allowed", {"Allow": "POST"})
            return self._create(request)
        if not _VALID_ID.match(post_id):
            return _error(
                400,
                "api.context.invalid_url_param.app_error",
                "Invalid or missing post_id parameter in request URL.",
            )
        post = self.behaviour.mattermost_posts.get(post_id)
        if post is None:
            return _error(
                404, "app.post.get.app_error", "Unable to get the post.", "resource: Post"
            )
        if patch and request.method == "PUT":
            return self._patch(request, post)
        if not patch and request.method == "GET":
            return Answer(200, post)
        return Answer(405, b"405 method not allowed", {"Allow": "PUT" if patch else "GET"})

    def _body(self, request: Request) -> dict[str, Any] | Answer:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(
                400,
                "api.context.invalid_body_param.app_error",
                "Invalid or missing post in request body.",
            )
        props = body.get("props", {})
        problem = "props must be an object" if not isinstance(props, dict) else ""
        problem = problem or _attachments_error(props.get("attachments"))
        message = body.get("message", "")
        if problem or not isinstance(message, str):
            return _error(
                400,
                "api.context.invalid_body_param.app_error",
                "Invalid or missing post in request body.",
                problem,
            )
        if len(message) > MAX_MESSAGE:
            return _error(
                400,
                "model.post.is_valid.msg.app_error",
                "Invalid Message.",
                f"id= message length {len(message)} over {MAX_MESSAGE}",
            )
        return body

    def _create(self, request: Request) -> Answer:
        body = self._body(request)
        if isinstance(body, Answer):
            return body
        channel = str(body.get("channel_id", ""))
        if not _VALID_ID.match(channel):
            return _error(
                400,
                "api.context.invalid_body_param.app_error",
                "Invalid or missing channel_id in request body.",
            )
        if channel not in MATTERMOST_CHANNELS.values():
            return _error(
                403,
                "api.context.permissions.app_error",
                "You do not have the appropriate permissions.",
            )
        root = str(body.get("root_id") or "")
        if root:
            parent = self.behaviour.mattermost_posts.get(root)
            if parent is None or parent["channel_id"] != channel:
                return _error(
                    400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter."
                )
            root = parent["root_id"] or root  # a reply to a reply joins the thread's root
        post = self._post(channel, body.get("message", ""), body.get("props") or {}, root)
        return Answer(201, post)

    def _patch(self, request: Request, post: dict[str, Any]) -> Answer:
        body = self._body(request)
        if isinstance(body, Answer):
            return body
        # A patch replaces only what it names (model.PostPatch).
        if "message" in body:
            post["message"] = body["message"]
        if "props" in body:
            post["props"] = body["props"]
        post["edit_at"] = post["update_at"] = int(time.time() * 1000)
        return Answer(200, post)
