"""The Mattermost stand-in reads webhook bodies and API posts as the server does and
answers with its AppError bodies.

Errors the CLI tests in tests/notify/providers already provoke (a bad token, a channel
name for an id, an unknown post, the post limit) are not repeated here.
"""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send

_HOOK = f"/mattermost/hooks/{standins.MATTERMOST_HOOK}"


def test_a_body_that_is_not_a_payload_cannot_be_parsed(stand_ins: StandIns) -> None:
    for body in (b"{not json", b"[1]", {"attachments": {"text": "x"}}, {"text": 5}):
        reply = send(stand_ins.base, _HOOK, body)
        assert reply.status == 400, body
        assert reply.json["id"] == "web.incoming_webhook.parse.app_error"
        assert reply.json["message"] == "Unable to parse incoming data"
        assert reply.json["status_code"] == 400


def test_an_attachment_field_must_have_the_server_s_types(stand_ins: StandIns) -> None:
    bad = {"attachments": [{"fields": [{"title": "a", "value": "b", "short": "yes"}]}]}
    good = {"attachments": [{"fields": [{"title": "a", "value": "b", "short": True}]}]}
    assert send(stand_ins.base, _HOOK, bad).status == 400
    assert (send(stand_ins.base, _HOOK, good).body) == b"ok"


def test_an_unknown_hook_no_text_and_an_unknown_channel(stand_ins: StandIns) -> None:
    unknown = send(stand_ins.base, "/mattermost/hooks/" + "z" * 26, {"text": "hi"})
    empty = send(stand_ins.base, _HOOK, {"text": ""})
    channel = send(stand_ins.base, _HOOK, {"text": "hi", "channel": "nowhere"})
    assert (unknown.status, unknown.json["message"]) == (400, "Invalid webhook.")
    assert (empty.status, empty.json["id"]) == (400, "web.incoming_webhook.text.app_error")
    assert (channel.status, channel.json["id"]) == (404, "web.incoming_webhook.channel.app_error")


def test_a_form_encoded_payload_is_read_too(stand_ins: StandIns) -> None:
    reply = send(
        stand_ins.base,
        _HOOK,
        b"payload=%7B%22text%22%3A%22hi%22%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (reply.status, reply.body) == (200, b"ok")


def test_a_long_webhook_text_becomes_several_posts(stand_ins: StandIns) -> None:
    reply = send(stand_ins.base, _HOOK, {"text": "x" * (standins.mattermost.MAX_MESSAGE + 1)})
    assert reply.status == 200
    posts = list(stand_ins.behaviour.mattermost_posts.values())
    assert [len(p["message"]) for p in posts] == [standins.mattermost.MAX_MESSAGE, 1]


def test_a_thread_reply_must_be_in_its_root_s_channel(stand_ins: StandIns) -> None:
    auth = {"Authorization": f"Bearer {standins.MATTERMOST_TOKEN}"}
    channels = standins.MATTERMOST_CHANNELS
    root = send(stand_ins.base, "/mattermost/api/v4/posts",
                {"channel_id": channels["deployments"], "message": "root"}, headers=auth)  # fmt: skip
    elsewhere = {"channel_id": channels["town-square"], "message": "r", "root_id": root.json["id"]}
    reply = send(stand_ins.base, "/mattermost/api/v4/posts", elsewhere, headers=auth)
    assert (reply.status, reply.json["id"]) == (400, "api.post.create_post.root_id.app_error")
