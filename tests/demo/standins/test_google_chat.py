"""The Google Chat stand-in answers as Chat's webhook endpoint does: the key and token,
the reply options that give threadKey its meaning, the message's fields and cards."""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.google_chat import GOOGLE_CHAT_SPACE
from tests.demo.standins.client import send

_HOOK = (
    f"/google-chat/v1/spaces/{GOOGLE_CHAT_SPACE}/messages"
    f"?key={standins.GOOGLE_CHAT_KEY}&token={standins.GOOGLE_CHAT_TOKEN}"
)


def test_a_thread_key_without_a_reply_option_starts_a_new_thread(stand_ins: StandIns) -> None:
    first = send(stand_ins.base, f"{_HOOK}&threadKey=k", {"text": "a"}).json
    second = send(stand_ins.base, f"{_HOOK}&threadKey=k", {"text": "b"}).json
    assert first["thread"]["name"] != second["thread"]["name"]
    reply = "&threadKey=k2&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    third = send(stand_ins.base, _HOOK + reply, {"text": "c"}).json
    fourth = send(stand_ins.base, _HOOK + reply, {"text": "d"}).json
    assert third["thread"]["name"] == fourth["thread"]["name"] and fourth["threadReply"]


def test_reply_or_fail_and_a_bad_option(stand_ins: StandIns) -> None:
    fail = send(
        stand_ins.base,
        f"{_HOOK}&threadKey=new&messageReplyOption=REPLY_MESSAGE_OR_FAIL",
        {"text": "x"},
    )
    bad = send(stand_ins.base, f"{_HOOK}&threadKey=k&messageReplyOption=SOMETIMES", {"text": "x"})
    assert (fail.status, fail.json["error"]["status"]) == (404, "NOT_FOUND")
    assert bad.status == 400 and '"SOMETIMES"' in bad.json["error"]["message"]


def test_bad_key_unknown_field_empty_and_oversized(stand_ins: StandIns) -> None:
    wrong = _HOOK.replace(standins.GOOGLE_CHAT_KEY, "k")
    key = send(stand_ins.base, wrong, {"text": "x"})
    unknown = send(stand_ins.base, _HOOK, {"text": "x", "cards": []})
    empty = send(stand_ins.base, _HOOK, {"text": ""})
    long = send(stand_ins.base, _HOOK, {"text": "x" * 4097})
    big = send(
        stand_ins.base,
        _HOOK,
        {
            "text": "x",
            "cardsV2": [
                {
                    "cardId": "c",
                    "card": {
                        "sections": [{"widgets": [{"textParagraph": {"text": "y" * 33_000}}]}]
                    },
                }
            ],
        },
    )
    assert key.json["error"] == {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
    }
    assert "Unknown name \"cards\" at 'message'" in unknown.json["error"]["message"]
    assert [r.status for r in (empty, long, big)] == [400, 400, 400]


def test_cards_are_checked(stand_ins: StandIns) -> None:
    def card(widget: dict) -> dict:  # type: ignore[type-arg]
        return {
            "text": "x",
            "cardsV2": [{"cardId": "c", "card": {"sections": [{"widgets": [widget]}]}}],
        }

    two = send(stand_ins.base, _HOOK, card({"textParagraph": {"text": "a"}, "divider": {}}))
    empty = send(stand_ins.base, _HOOK, card({"decoratedText": {"text": ""}}))
    link = send(
        stand_ins.base,
        _HOOK,
        card(
            {
                "buttonList": {
                    "buttons": [{"text": "b", "onClick": {"openLink": {"url": "javascript:x"}}}]
                }
            }
        ),
    )
    fine = send(stand_ins.base, _HOOK, card({"decoratedText": {"topLabel": "t", "text": "v"}}))
    assert [r.status for r in (two, empty, link)] == [400, 400, 400]
    assert fine.status == 200 and fine.json["space"]["name"] == f"spaces/{GOOGLE_CHAT_SPACE}"
