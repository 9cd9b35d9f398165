"""The Slack stand-in answers a bad request with Slack's documented error.

Errors the CLI tests in tests/notify/providers already provoke (Slack invalid_auth /
invalid_token / message_not_found) are not repeated here.
"""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send


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
