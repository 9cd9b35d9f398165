"""Each stand-in answers a bad request with the service's documented error.

Errors the CLI tests in tests/notify already provoke (Slack invalid_auth / invalid_token
/ message_not_found, DingTalk 300001 / 310000 / 130101 / keywords, Feishu 19021, WeCom
93000, Teams 401, the webhook's 401) are not repeated here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import SERVICES, Behaviour, StandIns
from tests.demo.standins.client import send

_DINGTALK = f"/dingtalk/robot/send?access_token={standins.DINGTALK_TOKEN}"
_FEISHU = f"/feishu/open-apis/bot/v2/hook/{standins.FEISHU_HOOK}"
_WECOM = f"/wecom/cgi-bin/webhook/send?key={standins.WECOM_KEY}"
_TEAMS = f"/teams/workflows/run?sig={standins.TEAMS_SIG}"


def _dingtalk_signed(stamp: int | None = None) -> str:
    stamp = stamp if stamp is not None else int(time.time() * 1000)
    secret = standins.DINGTALK_SECRET
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F")
    return f"{_DINGTALK}&timestamp={stamp}&sign={sign.replace('=', '%3D')}"


def _feishu_signed(payload: dict[str, object]) -> dict[str, object]:
    stamp = str(int(time.time()))
    key = f"{stamp}\n{standins.FEISHU_SECRET}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return {"timestamp": stamp, "sign": sign, **payload}


def test_slack_webhook_errors_are_plain_text_400s(stand_ins: StandIns) -> None:
    hook = standins.SLACK_HOOK
    not_json = send(stand_ins.base, hook, b"text=hi")
    empty = send(stand_ins.base, hook, {"text": ""})
    bad_block = send(stand_ins.base, hook, {"text": "x", "blocks": [{"type": "nonsense"}]})
    assert (not_json.status, not_json.body) == (400, b"invalid_payload")
    assert (empty.status, empty.body) == (400, b"no_text")
    assert (bad_block.status, bad_block.body) == (400, b"invalid_blocks")
    assert bad_block.headers["Content-Type"] == "text/plain"


def test_slack_web_api_errors_are_ok_false(stand_ins: StandIns) -> None:
    auth = {"Authorization": f"Bearer {standins.SLACK_TOKEN}"}
    reply = send(
        stand_ins.base,
        "/slack/api/chat.postMessage",
        {"channel": "#deployments", "text": "x", "thread_ts": "1.000001"},
        headers=auth,
    )
    unknown = send(stand_ins.base, "/slack/api/chat.delete", {"channel": "x"}, headers=auth)
    assert (reply.status, reply.json) == (200, {"ok": False, "error": "thread_not_found"})
    assert (unknown.status, unknown.json) == (404, {"ok": False, "error": "unknown_method"})


def test_dingtalk_bad_bodies_and_stale_timestamp(stand_ins: StandIns) -> None:
    untitled = send(
        stand_ins.base, _dingtalk_signed(), {"msgtype": "markdown", "markdown": {"text": "x"}}
    )
    too_long = send(
        stand_ins.base, _dingtalk_signed(), {"msgtype": "text", "text": {"content": "字" * 6667}}
    )
    stale = send(stand_ins.base, _dingtalk_signed(int(time.time() * 1000) - 3_700_000), b"{}")
    assert untitled.json == {"errcode": 40035, "errmsg": "缺少参数 json"}
    assert too_long.json == {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
    assert stale.status == 200 and stale.json["errcode"] == 310000
    assert stale.json["errmsg"].startswith("invalid timestamp")


def test_feishu_unknown_hook_and_wrong_message_type(stand_ins: StandIns) -> None:
    unknown = send(stand_ins.base, "/feishu/open-apis/bot/v2/hook/nope", b"{}")
    not_json = send(stand_ins.base, _FEISHU, b"{")
    text = send(stand_ins.base, _FEISHU, _feishu_signed({"msg_type": "text", "content": {}}))
    assert unknown.json["code"] == 19001
    assert (not_json.status, not_json.json["code"]) == (400, 9499)
    assert (text.status, text.json) == (200, {"code": 9499, "data": {}, "msg": "Bad Request"})


def test_wecom_bad_type_empty_and_too_long(stand_ins: StandIns) -> None:
    news = send(stand_ins.base, _WECOM, {"msgtype": "news", "news": {"content": "x"}})
    empty = send(stand_ins.base, _WECOM, {"msgtype": "text", "text": {"content": ""}})
    long = send(stand_ins.base, _WECOM, {"msgtype": "text", "text": {"content": "x" * 2049}})
    assert news.json["errcode"] == 40008
    assert empty.json["errcode"] == 44004
    assert (
        long.json["errcode"] == 40058
        and "text.content exceed max length 2048" in long.json["errmsg"]
    )


def test_teams_too_large_and_not_a_card(stand_ins: StandIns) -> None:
    large = send(stand_ins.base, _TEAMS, b"x" * (28 * 1024 + 1))
    plain = send(stand_ins.base, _TEAMS, {"type": "message", "text": "hi"})
    assert (large.status, large.json["error"]["code"]) == (413, "MessageTooLarge")
    assert (plain.status, plain.json["error"]["code"]) == (400, "InvalidRequestContent")


NOT_CHAT = ("jira", "github", "gitlab")
CHAT = [make(Behaviour()).name for make in SERVICES if make(Behaviour()).name not in NOT_CHAT]


@pytest.mark.parametrize("service", CHAT)
def test_chat_webhooks_accept_only_post(stand_ins: StandIns, service: str) -> None:
    url = {s.name: s for s in stand_ins.services}[service].prefix + "/anything"
    reply = send(stand_ins.base, url, method="GET")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")
