"""WeCom (企业微信) group robot: webhook key, message type and the per-type byte limits,
answered with WeCom's real errcode bodies."""

from __future__ import annotations

from cibridge.demo.standins.server import Answer, Behaviour, Request

WECOM_KEY = "standin-wecom-key"
_LIMITS = {"markdown": 4096, "text": 2048}


def _error(errcode: int, errmsg: str) -> Answer:
    return Answer(200, {"errcode": errcode, "errmsg": errmsg})


class WeCom:
    name = "wecom"
    prefix = "/wecom"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # no knobs yet

    def env(self, base_url: str) -> dict[str, str]:
        return {"WECOM_WEBHOOK_URL": f"{base_url}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}"}

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        if request.query.get("key") != WECOM_KEY:
            return _error(93000, "invalid webhook url, hint: [standin]")
        try:
            payload = request.json()
            kind = payload["msgtype"]
            content = str(payload[kind]["content"])
        except (ValueError, KeyError, TypeError):
            return _error(40008, "invalid message type, hint: [standin]")
        limit = _LIMITS.get(kind)
        if limit is None:
            return _error(40008, "invalid message type, hint: [standin]")
        if not content:
            return _error(44004, "empty content, hint: [standin]")
        if len(content.encode()) > limit:
            return _error(
                40058,
                f"{kind}.content exceed max length {limit}. "
                "invalid Request Parameter, hint: [standin]",
            )
        return _error(0, "ok")
