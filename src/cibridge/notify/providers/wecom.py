"""WeCom (WeChat Work) group robot: markdown with <@userid> mentions; key in the URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions, errcode_outcome

if TYPE_CHECKING:
    from cibridge.http.transport import Response

BYTE_LIMITS = {"markdown": 4096, "text": 2048}

HINTS = {
    93000: "the webhook key is invalid; copy the robot's URL again",
    45009: "over the robot's limit of 20 messages a minute",
    40008: "invalid message type",
    44004: "the message is empty",
    40058: "a field is invalid or too long",
}


class WeCom(ProviderBase):
    name = "wecom"
    label = "WeCom"
    max_commits = 5
    mention_keys = ("wecom", "wecom_mobile")

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or payload.get("msgtype") not in BYTE_LIMITS:
            raise CibridgeError("WeCom template must produce msgtype markdown or text")
        url = self.settings.webhook_url(
            "WeCom",
            "WECOM_WEBHOOK_URL",
            "set WECOM_WEBHOOK_URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...)",
        )
        kind = payload["msgtype"]
        body = dict(payload.get(kind) or {})
        content = str(body.get("content", ""))
        ids = [m["wecom"] for m in options.mentions if m.get("wecom")]
        mobiles = [m["wecom_mobile"] for m in options.mentions if m.get("wecom_mobile")]
        if kind == "markdown" and ids:
            content += "\n" + " ".join(f"<@{who}>" for who in ids)
        elif kind == "text":
            body["mentioned_list"] = ids
            body["mentioned_mobile_list"] = mobiles
        body["content"] = limits.utf8_bytes(content, BYTE_LIMITS[kind])
        return Delivery("POST", url, {"msgtype": kind, kind: body})

    def outcome(self, response: Response) -> Outcome:
        return errcode_outcome(response, HINTS)
