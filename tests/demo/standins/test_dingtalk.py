"""The DingTalk stand-in answers a bad request with DingTalk's documented error.

Errors the CLI tests in tests/notify/providers already provoke (DingTalk 300001 / 310000 /
130101 / keywords) are not repeated here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send

_DINGTALK = f"/dingtalk/robot/send?access_token={standins.DINGTALK_TOKEN}"


def _dingtalk_signed(stamp: int | None = None) -> str:
    stamp = stamp if stamp is not None else int(time.time() * 1000)
    secret = standins.DINGTALK_SECRET
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F")
    return f"{_DINGTALK}&timestamp={stamp}&sign={sign.replace('=', '%3D')}"


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
