"""The WeCom stand-in answers a bad request with WeCom's documented error.

Errors the CLI tests in tests/notify/providers already provoke (WeCom 93000) are not
repeated here.
"""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send

_WECOM = f"/wecom/cgi-bin/webhook/send?key={standins.WECOM_KEY}"


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
