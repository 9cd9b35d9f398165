"""Mattermost: incoming webhooks, or the REST API v4 (posts) with a bot or personal token.

Both take Slack-style attachments. Only the API returns the post, so only the API can
update a message in place (``PUT /api/v4/posts/{id}/patch``) or reply in its thread
(``root_id``). With the API each post carries its values in ``props`` (key
``cibridge_notify``); an update reads them back with ``GET /api/v4/posts/{id}`` first, so
"deploy succeeded" keeps what "deploy running" said.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, Recalled, SendOptions
from cibridge.notify.settings import ProviderSettings

if TYPE_CHECKING:
    from cibridge.http.transport import Response

# model.PostMessageMaxRunesV2: the largest post message since Mattermost 5.0 (servers whose
# Posts.Message column predates 5.0 keep 4,000). Longer API posts are refused
# (model.post.is_valid.msg.app_error); a longer webhook text is split into several posts.
MAX_MESSAGE = 16_383
# cibridge's own bound on the attachments' texts, so one notification stays one post: the
# props limit (model.PostPropsMaxUserRunes) is far larger.
MAX_ATTACHMENTS = 16_383
PROPS_KEY = "cibridge_notify"
CUT_NOTE = "\n… (cut to fit Mattermost's 16,383-character post limit)"
# A Mattermost id: 26 lower-case letters and digits (model.IsValidId).
_ID = re.compile(r"^[a-z0-9]{26}$")

# The answers' `id` (an i18n key) names the problem better than the message.
HINTS = {
    "web.incoming_webhook.invalid.app_error": "the webhook does not exist (deleted, or the URL "
    "is mistyped); copy it again from Integrations > Incoming Webhooks",
    "web.incoming_webhook.disabled.app_error": "a system admin turned incoming webhooks off",
    "web.incoming_webhook.parse.app_error": "the body is not a Mattermost webhook payload; "
    "preview it with `cibridge render`",
    "web.incoming_webhook.text.app_error": "the message has no text and no attachments",
    "web.incoming_webhook.channel.app_error": "the channel override names no channel the "
    "webhook's team has (use the channel's name, e.g. town-square)",
    "web.incoming_webhook.channel_locked.app_error": "the webhook is locked to its channel; "
    "drop --channel or unlock it",
    "api.context.session_expired.app_error": "MATTERMOST_TOKEN is not a valid token (a bot "
    "account's access token, or a personal access token)",
    "api.context.permissions.app_error": "the token's user cannot post there: add the bot to "
    "the channel's team and channel",
    "api.context.invalid_body_param.app_error": "pass the channel's id (26 characters, from "
    "View Info), not its name",
    "api.context.invalid_url_param.app_error": "--update/--thread must be a post id "
    "(the message-id output of the step that posted)",
    "app.post.get.app_error": "--update/--thread names a post that does not exist",
    "api.post.create_post.root_id.app_error": "--thread names a post that is not in this channel",
    "api.post.update_post.permissions_details.app_error": "only posts this token's user made "
    "can be updated",
    "model.post.is_valid.msg.app_error": "the message is longer than this server allows (4,000 "
    "characters on a database from before Mattermost 5.0); shorten the template",
}


class Mattermost(ProviderBase):
    name = "mattermost"
    label = "Mattermost"
    uses_channel = True
    mention_keys = ("mattermost_username",)
    api_url_env = "MATTERMOST_URL"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self.api = False  # set by _target: the REST API with a token, else a webhook

    def _target(self) -> tuple[str, dict[str, str]]:
        token = self.settings.secret("token", "MATTERMOST_TOKEN")
        if token:
            self.api = True
            if self.settings.value("api_url", self.api_url_env) is None:
                raise CibridgeError(
                    "Mattermost: MATTERMOST_TOKEN is set but not the server's address",
                    hint="set MATTERMOST_URL (https://chat.example.com) or api_url under "
                    "integration_configs.communication.mattermost",
                )
            base = self.settings.api_url(self.label, self.api_url_env, "")
            return f"{base}/api/v4", {"Authorization": f"Bearer {token}"}
        url = self.settings.webhook_url(
            self.label,
            "MATTERMOST_WEBHOOK_URL",
            "set MATTERMOST_WEBHOOK_URL (incoming webhook), or MATTERMOST_TOKEN, MATTERMOST_URL "
            "and a channel id (REST API), or webhook_url_ref under "
            "integration_configs.communication.mattermost",
        )
        return url, {}

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict):
            raise CibridgeError("Mattermost template must produce a mapping (text, attachments)")
        message = fit(payload)
        target, headers = self._target()
        channel = self.settings.channel(options.channel)
        if not self.api:
            if options.update or options.thread:
                raise CibridgeError(
                    "Mattermost: --update and --thread need the REST API (a token), not a "
                    "webhook, which returns no post id",
                    hint="set MATTERMOST_TOKEN, MATTERMOST_URL and MATTERMOST_CHANNEL",
                )
            for key in ("username", "icon_url"):
                value = self.settings.value(key)
                if value and key not in message:
                    message[key] = str(value)
            if channel:
                message["channel"] = channel
            return Delivery("POST", target, message, headers)
        # The API takes attachments in props (a webhook takes them at the top level too).
        props = dict(message.get("props") or {})
        if message.get("attachments"):
            props["attachments"] = message["attachments"]
        # A template's own props entry is its author's choice; cibridge's goes everywhere else.
        props.setdefault(PROPS_KEY, dict(options.remember))
        body: dict[str, Any] = {"message": message.get("text", ""), "props": props}
        if options.update:
            _check_id(options.update, "--update")
            return Delivery(
                "PUT", f"{target}/posts/{options.update}/patch", body, headers, public_url=True
            )
        if not channel:
            raise CibridgeError(
                "Mattermost: the REST API needs a channel id",
                hint="pass --channel (the channel's id, from View Info) or set MATTERMOST_CHANNEL",
            )
        body = {"channel_id": channel, **body}
        if options.thread:
            _check_id(options.thread, "--thread")
            body["root_id"] = options.thread
        return Delivery("POST", f"{target}/posts", body, headers, public_url=True)

    def recall(self, channel: str | None, message_id: str) -> Delivery | None:
        target, headers = self._target()
        if not self.api or not _ID.match(message_id):
            return None  # prepare() says what is wrong
        return Delivery("GET", f"{target}/posts/{message_id}", None, headers, public_url=True)

    def recalled(self, response: Response, message_id: str) -> Recalled:
        lost = "so the update shows only this step's values"
        data = response.json()
        if not response.ok or not isinstance(data, dict):
            return Recalled(
                problem=f"could not read the post back (GET /api/v4/posts/{message_id}: "
                f"{_error(response)}), {lost}"
            )
        props = data.get("props")
        kept = props.get(PROPS_KEY) if isinstance(props, dict) else None
        if not isinstance(kept, dict):
            return Recalled(
                problem="the post to update carries no cibridge props (posted by another app "
                f"or by a webhook), {lost}"
            )
        return Recalled({str(k): v for k, v in kept.items() if isinstance(v, str)})

    def outcome(self, response: Response) -> Outcome:
        data = response.json()
        if not response.ok:
            code = excerpt(data.get("id", ""), 80) if isinstance(data, dict) else ""
            return Outcome(False, _error(response), HINTS.get(code, ""))
        if not self.api:
            return Outcome(True)  # the webhook answers a plain "ok"
        if not isinstance(data, dict) or not data.get("id"):
            return Outcome(
                False, f"HTTP {response.status}, not a Mattermost post: {response.excerpt()}"
            )
        return Outcome(
            True,
            message_id=excerpt(data["id"], 40),
            channel_id=excerpt(data.get("channel_id", ""), 40),
        )


def _check_id(value: str, option: str) -> None:
    if not _ID.match(value):
        raise CibridgeError(
            f"Mattermost: {option} {excerpt(value, 40)!r} is not a post id (26 letters and digits)",
            hint="pass the message-id output of the step that posted",
        )


def _error(response: Response) -> str:
    """Mattermost's error body: {"id", "message", "detailed_error", "status_code"}."""
    data = response.json()
    if not isinstance(data, dict) or "message" not in data:
        return f"HTTP {response.status}: {response.excerpt()}"
    detail = excerpt(data.get("detailed_error") or "", 200)
    code = excerpt(data.get("id") or "", 80)
    status = data.get("status_code") or response.status
    return (
        f"HTTP {status} {excerpt(data['message'], 200)}"
        + (f" ({code})" if code else "")
        + (f": {detail}" if detail else "")
    )


def _attachments(message: dict[str, Any]) -> list[Any]:
    attachments = message.get("attachments")
    return attachments if isinstance(attachments, list) else []


def fit(message: dict[str, Any]) -> dict[str, Any]:
    """Keep the post to Mattermost's message limit, with a note when text was cut."""
    message = json.loads(json.dumps(message))
    text = str(message.get("text") or "")
    if len(text) > MAX_MESSAGE:
        text = limits.chars(text, MAX_MESSAGE - len(CUT_NOTE)) + CUT_NOTE
    message["text"] = text
    attachments = _attachments(message)
    if limits.text_size(attachments) > MAX_ATTACHMENTS:
        limits.shrink(attachments, MAX_ATTACHMENTS - len(CUT_NOTE), limits.text_size)
        last = next((a for a in reversed(attachments) if isinstance(a, dict)), None)
        if last is not None:
            last["footer"] = CUT_NOTE.strip()
    if not message["text"] and not attachments:
        message["text"] = "cibridge notification"
    return message
