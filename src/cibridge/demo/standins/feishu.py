"""Feishu / Lark custom bot: hook token, signature (HMAC keyed by ``timestamp\\nsecret``
over an empty message, as Feishu documents it), card shape and size, answered with
Feishu's real ``code`` bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from cibridge.demo.standins.server import Answer, Behaviour, Request

FEISHU_HOOK = "standin-feishu-hook"
FEISHU_SECRET = "standin-feishu-secret"  # noqa: S105 - a stand-in's own credential


def _error(status: int, code: int, msg: str) -> Answer:
    return Answer(status, {"code": code, "data": {}, "msg": msg})


class Feishu:
    name = "feishu"
    prefix = "/feishu"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # no knobs yet

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "FEISHU_WEBHOOK_URL": f"{base_url}/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}",
            "FEISHU_SECRET": FEISHU_SECRET,
        }

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        if not request.path.endswith(f"/hook/{FEISHU_HOOK}"):
            return _error(200, 19001, "param invalid: incoming webhook access token invalid")
        try:
            payload = request.json()
        except ValueError:
            return _error(400, 9499, "Bad Request")
        stamp = str(payload.get("timestamp", ""))
        key = f"{stamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 3600
        if not fresh or not hmac.compare_digest(expected, str(payload.get("sign", ""))):
            return _error(
                200,
                19021,
                "sign match fail or timestamp is not within one hour from current time",
            )
        if payload.get("msg_type") != "interactive" or not isinstance(payload.get("card"), dict):
            return _error(200, 9499, "Bad Request")
        if len(request.raw) > 20 * 1024:
            return _error(200, 9499, "request body too large")
        return Answer(
            200,
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
        )
