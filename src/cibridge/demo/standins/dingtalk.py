"""DingTalk custom robot: access token, signature recomputed independently, rate limit,
keyword check and size limit, each answered with DingTalk's real errcode body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time

from cibridge.demo.standins.server import Answer, Behaviour, Request

DINGTALK_TOKEN = "standin-dingtalk-token"  # noqa: S105 - a stand-in's own credential
DINGTALK_SECRET = "SECstandin-dingtalk-secret"  # noqa: S105
_MORE = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"


def _error(errcode: int, errmsg: str) -> Answer:
    return Answer(200, {"errcode": errcode, "errmsg": errmsg})


class DingTalk:
    name = "dingtalk"
    prefix = "/dingtalk"

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self._sent: list[float] = []

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "DINGTALK_WEBHOOK_URL": (
                f"{base_url}/dingtalk/robot/send?access_token={DINGTALK_TOKEN}"
            ),
            "DINGTALK_SECRET": DINGTALK_SECRET,
        }

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        query = request.query
        if query.get("access_token") != DINGTALK_TOKEN:
            return _error(300001, "token is not exist")
        stamp, given = query.get("timestamp", ""), query.get("sign", "")
        if not stamp or not given:
            return _error(310000, "sign not match" + _MORE)
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3_600_000:
            return _error(310000, "invalid timestamp" + _MORE)
        digest = hmac.new(
            DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        )
        if not hmac.compare_digest(base64.b64encode(digest.digest()).decode(), given):
            return _error(310000, "sign not match" + _MORE)
        now = time.time()
        with self._lock:
            self._sent = [t for t in self._sent if now - t < 60]
            if len(self._sent) >= self.behaviour.dingtalk_per_minute:
                return _error(130101, "send too fast, exceed 20 times per minute" + _MORE)
        try:
            payload = request.json()
            kind = payload["msgtype"]
            body = payload[kind]
            content = body["content"] if kind == "text" else body["text"]
            if kind in ("markdown", "actionCard") and not body.get("title"):
                raise KeyError("title")
        except (ValueError, KeyError, TypeError):
            return _error(40035, "缺少参数 json")
        if len(str(content).encode()) > 20_000:
            return _error(460101, "message too long, exceed 20000 bytes")
        keyword = self.behaviour.dingtalk_keyword
        if keyword and keyword not in str(content) and keyword not in str(body.get("title", "")):
            return _error(310000, "keywords not in content" + _MORE)
        with self._lock:
            self._sent.append(now)
        return _error(0, "ok")
