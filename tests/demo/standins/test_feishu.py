"""The Feishu stand-in answers a bad request with Feishu's documented error.

Errors the CLI tests in tests/notify/providers already provoke (Feishu 19021) are not
repeated here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send

_FEISHU = f"/feishu/open-apis/bot/v2/hook/{standins.FEISHU_HOOK}"


def _feishu_signed(payload: dict[str, object]) -> dict[str, object]:
    stamp = str(int(time.time()))
    key = f"{stamp}\n{standins.FEISHU_SECRET}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return {"timestamp": stamp, "sign": sign, **payload}


def test_feishu_unknown_hook_and_wrong_message_type(stand_ins: StandIns) -> None:
    unknown = send(stand_ins.base, "/feishu/open-apis/bot/v2/hook/nope", b"{}")
    not_json = send(stand_ins.base, _FEISHU, b"{")
    text = send(stand_ins.base, _FEISHU, _feishu_signed({"msg_type": "text", "content": {}}))
    assert unknown.json["code"] == 19001
    assert (not_json.status, not_json.json["code"]) == (400, 9499)
    assert (text.status, text.json) == (200, {"code": 9499, "data": {}, "msg": "Bad Request"})
