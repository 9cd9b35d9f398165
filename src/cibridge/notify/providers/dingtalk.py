"""DingTalk custom robot: signed webhook, markdown or actionCard, @mentions, keyword."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions, errcode_outcome

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MAX_BYTES = 20_000

HINTS = {
    130101: "the robot sent more than 20 messages a minute and is throttled for 10 minutes; "
    "not retried (retrying would extend the block) - send fewer, e.g. one per pipeline",
    300001: "the access_token in DINGTALK_WEBHOOK_URL does not exist; copy the robot's URL again",
    300005: "the access_token in DINGTALK_WEBHOOK_URL does not exist; copy the robot's URL again",
    400013: "the robot was removed from the group",
    40035: "the message is malformed (missing msgtype or content)",
}


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return urllib.parse.quote_plus(base64.b64encode(digest.digest()).decode())


def explain_310000(errmsg: str) -> str:
    text = errmsg.lower()
    if "keyword" in text:
        return (
            "the robot's keyword security option is on and the message lacks the keyword: "
            "set `keyword` in the dingtalk config (or DINGTALK_KEYWORD)"
        )
    if "sign" in text:
        return "signature rejected: DINGTALK_SECRET must be the robot's SEC... secret"
    if "timestamp" in text:
        return "timestamp rejected: the runner's clock is more than an hour off"
    if "ip" in text:
        return "the runner's IP is not on the robot's allow-list"
    return "a security option rejected the message (keyword, signature, timestamp or IP allow-list)"


class DingTalk(ProviderBase):
    name = "dingtalk"
    label = "DingTalk"
    mention_keys = ("dingtalk_mobile", "dingtalk_user_id")

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or "msgtype" not in payload:
            raise CibridgeError("DingTalk template must produce a mapping with `msgtype`")
        url = self.settings.webhook_url(
            "DingTalk",
            "DINGTALK_WEBHOOK_URL",
            "set DINGTALK_WEBHOOK_URL (https://oapi.dingtalk.com/robot/send?access_token=...) "
            "or webhook_url_ref under integration_configs.communication.dingtalk",
        )
        message = dict(payload)
        body_key = message["msgtype"]
        body = dict(message.get(body_key) or {})
        text_key = "content" if body_key == "text" else "text"
        text = str(body.get(text_key, ""))
        mobiles = [m["dingtalk_mobile"] for m in options.mentions if m.get("dingtalk_mobile")]
        user_ids = [m["dingtalk_user_id"] for m in options.mentions if m.get("dingtalk_user_id")]
        at_all = options.mention_all and self.settings.value("at_all") is True
        if mobiles or user_ids or at_all:
            # A mobile must also appear in the text, or DingTalk shows no mention.
            text += "\n\n" + " ".join(f"@{who}" for who in [*mobiles, *user_ids])
            message["at"] = {"atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": at_all}
        keyword = self.settings.value("keyword", "DINGTALK_KEYWORD")
        if keyword and str(keyword) not in text and str(keyword) not in str(body.get("title", "")):
            text += f"\n\n{keyword}"
        body[text_key] = limits.utf8_bytes(text, MAX_BYTES)
        message[body_key] = body
        secret = self.settings.secret("secret", "DINGTALK_SECRET")
        if secret:
            stamp = int(time.time() * 1000)
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}timestamp={stamp}&sign={sign(secret, stamp)}"
        return Delivery("POST", url, message)

    def outcome(self, response: Response) -> Outcome:
        return errcode_outcome(
            response, HINTS, lambda code, message: explain_310000(message) if code == 310000 else ""
        )
