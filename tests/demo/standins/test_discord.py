"""The Discord stand-in answers as Discord does: the webhook's id and token, the form
rules (limits in tests/notify/providers/test_discord.py), empty messages, forum channels,
``wait`` and edits of a message in its own thread only."""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.discord import DISCORD_WEBHOOK_ID
from tests.demo.standins.client import send

_HOOK = f"/discord/api/webhooks/{DISCORD_WEBHOOK_ID}/{standins.DISCORD_TOKEN}"


def test_unknown_webhook_bad_json_and_empty_message(stand_ins: StandIns) -> None:
    unknown = send(stand_ins.base, f"/discord/api/webhooks/1/{standins.DISCORD_TOKEN}", {})
    bad_json = send(stand_ins.base, _HOOK, b"{")
    empty = send(stand_ins.base, _HOOK, {"content": ""})
    assert (unknown.status, unknown.json) == (404, {"message": "Unknown Webhook", "code": 10015})
    assert bad_json.status == 400 and bad_json.json["code"] == 50109
    assert (empty.status, empty.json) == (
        400,
        {"message": "Cannot send an empty message", "code": 50006},
    )


def test_without_wait_the_answer_is_empty(stand_ins: StandIns) -> None:
    plain = send(stand_ins.base, _HOOK, {"content": "hi"})
    waited = send(stand_ins.base, f"{_HOOK}?wait=true", {"content": "hi"})
    assert (plain.status, plain.body) == (204, b"")
    assert waited.status == 200 and waited.json["channel_id"] == standins.DISCORD_CHANNEL


def test_a_thread_name_needs_a_forum_and_a_forum_not_both(stand_ins: StandIns) -> None:
    named = send(stand_ins.base, f"{_HOOK}?wait=true", {"content": "x", "thread_name": "t"})
    assert named.status == 400 and named.json["code"] == 220003
    stand_ins.behaviour.discord_forum = True
    both = send(
        stand_ins.base,
        f"{_HOOK}?wait=true&thread_id={standins.DISCORD_THREAD}",
        {"content": "x", "thread_name": "t"},
    )
    post = send(stand_ins.base, f"{_HOOK}?wait=true", {"content": "x", "thread_name": "t"})
    assert both.status == 400 and both.json["code"] == 220002
    assert post.status == 200 and post.json["channel_id"] == post.json["id"]  # a new post


def test_an_edit_finds_a_message_only_in_its_own_thread(stand_ins: StandIns) -> None:
    posted = send(
        stand_ins.base, f"{_HOOK}?wait=true&thread_id={standins.DISCORD_THREAD}", {"content": "a"}
    ).json["id"]
    outside = send(stand_ins.base, f"{_HOOK}/messages/{posted}", {"content": "b"}, method="PATCH")
    inside = send(
        stand_ins.base,
        f"{_HOOK}/messages/{posted}?thread_id={standins.DISCORD_THREAD}",
        {"content": "b", "thread_name": "renamed"},
        method="PATCH",
    )
    assert (outside.status, outside.json["code"]) == (404, 10008)
    assert inside.status == 400 and "thread_name" in inside.json["errors"]
    edited = send(
        stand_ins.base,
        f"{_HOOK}/messages/{posted}?thread_id={standins.DISCORD_THREAD}",
        {"content": "b"},
        method="PATCH",
    )
    assert (
        edited.status == 200 and edited.json["content"] == "b" and edited.json["edited_timestamp"]
    )


def test_mentions_ping_only_as_allowed(stand_ins: StandIns) -> None:
    text = "@everyone <@1> <@&2>"
    unguarded = send(stand_ins.base, f"{_HOOK}?wait=true", {"content": text}).json
    guarded = send(
        stand_ins.base,
        f"{_HOOK}?wait=true",
        {"content": text, "allowed_mentions": {"parse": [], "users": ["1"]}},
    ).json
    assert unguarded["mention_everyone"] and unguarded["mention_roles"] == ["2"]
    assert guarded["mentions"] == [{"id": "1"}] and guarded["mention_roles"] == []
    assert not guarded["mention_everyone"]


def test_a_rate_limit_says_its_wait_twice(stand_ins: StandIns) -> None:
    stand_ins.behaviour.discord_rate_limited = 1
    limited = send(stand_ins.base, f"{_HOOK}?wait=true", {"content": "x"})
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json == {
        "message": "You are being rate limited.",
        "retry_after": 0.25,
        "global": False,
    }
