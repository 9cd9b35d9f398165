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
    unknown = send(
        stand_ins.base, "/slack/api/chat.scheduleMessage", {"channel": "x"}, headers=auth
    )
    assert (reply.status, reply.json) == (200, {"ok": False, "error": "thread_not_found"})
    assert (unknown.status, unknown.json) == (404, {"ok": False, "error": "unknown_method"})


AUTH = {"Authorization": f"Bearer {standins.SLACK_TOKEN}"}
HISTORY = "/slack/api/conversations.history"


def _history(stand_ins: StandIns, query: str) -> dict[str, object]:
    reply = send(stand_ins.base, f"{HISTORY}?{query}", method="GET", headers=AUTH)
    assert reply.status == 200
    return reply.json  # type: ignore[no-any-return]


def _post(
    stand_ins: StandIns, body: dict[str, object], method: str = "chat.postMessage"
) -> dict[str, object]:
    return send(stand_ins.base, f"/slack/api/{method}", body, headers=AUTH).json  # type: ignore[no-any-return]


def test_history_reads_one_message_and_its_metadata_only_when_asked(stand_ins: StandIns) -> None:
    metadata = {"event_type": "cibridge_notify", "event_payload": {"environment": "prod"}}
    first = _post(stand_ins, {"channel": "#deployments", "text": "a", "metadata": metadata})
    _post(stand_ins, {"channel": "#deployments", "text": "b"})
    ts = first["ts"]
    exact = f"channel=C0DEPLOYS&latest={ts}&oldest={ts}&inclusive=true&limit=1"
    with_metadata = _history(stand_ins, exact + "&include_all_metadata=true")
    assert [m["text"] for m in with_metadata["messages"]] == ["a"]  # type: ignore[index]
    assert with_metadata["messages"][0]["metadata"] == metadata  # type: ignore[index]
    assert "metadata" not in _history(stand_ins, exact)["messages"][0]  # type: ignore[index]
    # not inclusive: the bounds themselves are left out
    assert _history(stand_ins, f"channel=C0DEPLOYS&latest={ts}&oldest={ts}")["messages"] == []


def test_history_answers_as_slack_does(stand_ins: StandIns) -> None:
    assert _history(stand_ins, "channel=%23deployments") == {  # a name, not an id
        "ok": False,
        "error": "channel_not_found",
    }
    assert _history(stand_ins, "channel=C0DEPLOYS&latest=soon")["error"] == "invalid_ts_latest"
    stand_ins.behaviour.slack_history_scope = False
    assert _history(stand_ins, "channel=C0DEPLOYS") == {
        "ok": False,
        "error": "missing_scope",
        "needed": "channels:history",
        "provided": "chat:write",
    }


def test_metadata_is_kept_by_an_update_without_it_and_bad_metadata_is_dropped(
    stand_ins: StandIns,
) -> None:
    metadata = {"event_type": "cibridge_notify", "event_payload": {"k": "v"}}
    ts = _post(stand_ins, {"channel": "#deployments", "text": "a", "metadata": metadata})["ts"]
    _post(stand_ins, {"channel": "C0DEPLOYS", "ts": ts, "text": "b"}, "chat.update")
    assert stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{ts}"]["metadata"] == metadata
    bad = _post(
        stand_ins,
        {"channel": "#deployments", "text": "c", "metadata": {"event_type": "no.dots"}},
    )
    assert bad["ok"] is True and bad["warning"] == "invalid_metadata_schema"
    assert "metadata" not in stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{bad['ts']}"]


def _read(stand_ins: StandIns, method: str, query: str) -> dict[str, object]:
    reply = send(stand_ins.base, f"/slack/api/{method}?{query}", method="GET", headers=AUTH)
    assert reply.status == 200
    return reply.json  # type: ignore[no-any-return]


def test_history_leaves_out_thread_replies_unless_broadcast(stand_ins: StandIns) -> None:
    parent = _post(stand_ins, {"channel": "#deployments", "text": "parent"})["ts"]
    _post(stand_ins, {"channel": "#deployments", "text": "quiet", "thread_ts": parent})
    _post(
        stand_ins,
        {"channel": "#deployments", "text": "loud", "thread_ts": parent, "reply_broadcast": True},
    )
    texts = [m["text"] for m in _history(stand_ins, "channel=C0DEPLOYS")["messages"]]  # type: ignore[index]
    assert texts == ["loud", "parent"]
    wrong = _post(
        stand_ins,
        {"channel": "#deployments", "text": "x", "thread_ts": parent, "reply_broadcast": "yes"},
    )
    assert wrong == {"ok": False, "error": "invalid_arguments"}


def test_history_pages_with_an_opaque_cursor(stand_ins: StandIns) -> None:
    for n in range(5):
        _post(stand_ins, {"channel": "#deployments", "text": f"m{n}"})
    first = _history(stand_ins, "channel=C0DEPLOYS&limit=2")
    cursor = first["response_metadata"]["next_cursor"]  # type: ignore[index]
    second = _history(stand_ins, f"channel=C0DEPLOYS&limit=2&cursor={cursor}")
    last = _history(
        stand_ins, f"channel=C0DEPLOYS&limit=2&cursor={second['response_metadata']['next_cursor']}"
    )  # type: ignore[index]
    pages = [[m["text"] for m in page["messages"]] for page in (first, second, last)]  # type: ignore[index]
    assert pages == [["m4", "m3"], ["m2", "m1"], ["m0"]]
    assert (first["has_more"], last["has_more"]) == (True, False)
    assert last["response_metadata"] == {"next_cursor": ""}
    bad = _history(stand_ins, "channel=C0DEPLOYS&cursor=bm9wZQ==")
    assert bad == {"ok": False, "error": "invalid_cursor"}


def test_replies_list_the_parent_then_its_replies_with_metadata(stand_ins: StandIns) -> None:
    metadata = {"event_type": "cibridge_release_stage", "event_payload": {"release": "v1"}}
    parent = _post(stand_ins, {"channel": "#deployments", "text": "parent"})["ts"]
    _post(stand_ins, {"channel": "#deployments", "text": "elsewhere"})
    for text in ("one", "two"):
        _post(
            stand_ins,
            {"channel": "#deployments", "text": text, "thread_ts": parent, "metadata": metadata},
        )
    found = _read(
        stand_ins,
        "conversations.replies",
        f"channel=C0DEPLOYS&ts={parent}&include_all_metadata=true",
    )
    assert [m["text"] for m in found["messages"]] == ["parent", "one", "two"]  # type: ignore[index]
    assert found["messages"][1]["metadata"] == metadata  # type: ignore[index]
    plain = _read(stand_ins, "conversations.replies", f"channel=C0DEPLOYS&ts={parent}")
    assert "metadata" not in plain["messages"][1]  # type: ignore[index]
    missing = _read(stand_ins, "conversations.replies", "channel=C0DEPLOYS&ts=1.000009")
    assert missing == {"ok": False, "error": "thread_not_found"}
    stand_ins.behaviour.slack_history_scope = False
    refused = _read(stand_ins, "conversations.replies", f"channel=C0DEPLOYS&ts={parent}")
    assert refused["error"] == "missing_scope"


def test_list_names_the_channels_and_refuses_unknown_types(stand_ins: StandIns) -> None:
    listed = _read(stand_ins, "conversations.list", "types=public_channel,private_channel")
    assert {c["name"]: c["id"] for c in listed["channels"]} == {  # type: ignore[index]
        "deployments": "C0DEPLOYS",
        "ci-cd-notifications": "C0CINOTES",
    }
    assert _read(stand_ins, "conversations.list", "types=channels") == {
        "ok": False,
        "error": "invalid_types",
    }


def test_delete_removes_a_message_once(stand_ins: StandIns) -> None:
    ts = _post(stand_ins, {"channel": "#deployments", "text": "gone"})["ts"]
    deleted = _post(stand_ins, {"channel": "C0DEPLOYS", "ts": ts}, "chat.delete")
    again = _post(stand_ins, {"channel": "C0DEPLOYS", "ts": ts}, "chat.delete")
    assert deleted == {"ok": True, "channel": "C0DEPLOYS", "ts": ts}
    assert again == {"ok": False, "error": "message_not_found"}
    assert f"C0DEPLOYS/{ts}" not in stand_ins.behaviour.slack_messages
