"""Feishu / Lark custom bot: interactive card, signature in the body (not DingTalk's)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MAX_BYTES = 20 * 1024

HINTS = {
    19021: "signature rejected: FEISHU_SECRET must be the bot's signing secret, and the runner's "
    "clock within an hour",
    19022: "the runner's IP is not on the bot's allow-list",
    19024: "the bot's keyword option is on and the message lacks the keyword",
    19001: "the webhook address is invalid; copy it again from the bot settings",
    9499: "the request body is invalid; preview it with `cibridge render`",
    11232: "the bot is over its rate limit (100/min, 5/s)",
}


def sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class Feishu(ProviderBase):
    name = "feishu"
    label = "Feishu"
    mention_keys = ("feishu",)

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or "msg_type" not in payload:
            raise CibridgeError("Feishu template must produce a mapping with `msg_type`")
        url = self.settings.webhook_url(
            "Feishu",
            "FEISHU_WEBHOOK_URL",
            "set FEISHU_WEBHOOK_URL (https://open.feishu.cn/open-apis/bot/v2/hook/...)",
        )
        message = json.loads(json.dumps(payload))
        limits.shrink(
            message, MAX_BYTES - 200, lambda m: len(json.dumps(m, ensure_ascii=False).encode())
        )
        secret = self.settings.secret("secret", "FEISHU_SECRET")
        if secret:
            stamp = int(time.time())
            message = {"timestamp": str(stamp), "sign": sign(secret, stamp), **message}
        return Delivery("POST", url, message)

    def outcome(self, response: Response) -> Outcome:
        data = response.json()
        if not isinstance(data, dict):
            return Outcome(False, f"HTTP {response.status}: {response.excerpt()}")
        code = data.get("code", data.get("StatusCode"))
        if code == 0 and response.ok:
            return Outcome(True)
        code_int = int(code) if isinstance(code, int) else -1
        message = excerpt(data.get("msg") or data.get("StatusMessage") or "")
        return Outcome(False, f"code {excerpt(code, 40)}: {message}", HINTS.get(code_int, ""))
