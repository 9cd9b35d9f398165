"""Finding, creating and refreshing a release's thread against the Slack stand-in."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from cibridge.clients.slack_api import SlackApi
from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.http.transport import Transport
from cibridge.release import thread as threads
from cibridge.release.model import Stage

WINDOW = threads.Window(since=time.time() - 86_400, pages=5)
PARENT = {
    "text": "Release v1",
    "metadata": threads.parent_metadata("v1", {"repository": "acme/shop"}),
}


@pytest.fixture
def api(stand_ins: StandIns, transport: Transport) -> Iterator[SlackApi]:
    yield SlackApi(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)


def _post(api: SlackApi, **body: Any) -> str:
    return str(api.call("chat.postMessage", {"channel": "C0DEPLOYS", **body})["ts"])


def _render(stages: list[Stage]) -> Mapping[str, Any]:
    return {"text": " ".join(f"{s.emoji}{s.name}" for s in stages) or "nothing yet"}


def test_the_parent_is_found_behind_a_pages_worth_of_newer_messages(api: SlackApi) -> None:
    parent = _post(api, **PARENT)
    for n in range(250):
        _post(api, text=f"chatter {n}")
    api.calls = 0
    assert threads.find(api, "C0DEPLOYS", "v1", WINDOW) == (parent, 251)
    assert api.calls == 2  # two pages of conversations.history
    short = threads.Window(WINDOW.since, pages=1)
    assert threads.find(api, "C0DEPLOYS", "v1", short) == ("", 200)


def test_a_parent_older_than_the_window_is_not_looked_at(api: SlackApi) -> None:
    _post(api, **PARENT)
    later = threads.Window(since=time.time() + 60, pages=5)
    assert threads.find(api, "C0DEPLOYS", "v1", later) == ("", 0)


def test_the_first_command_posts_the_parent_and_the_next_finds_it(api: SlackApi) -> None:
    warnings: list[str] = []
    first = threads.open_thread(api, "C0DEPLOYS", "v1", WINDOW, PARENT, warnings.append)
    again = threads.open_thread(api, "C0DEPLOYS", "v1", WINDOW, PARENT, warnings.append)
    other = threads.open_thread(api, "C0DEPLOYS", "v2", WINDOW, PARENT, warnings.append)
    assert first.created and not again.created and again.ts == first.ts
    assert other.ts != first.ts and other.created  # another release, another thread
    assert warnings == []


class Racing(SlackApi):
    """Another job posts its parent between this one's search and its post."""

    rival = ""

    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        if method == "chat.postMessage" and not self.rival and "thread_ts" not in args:
            self.rival = str(super().call(method, args)["ts"])
        return super().call(method, args, read=read)


def test_two_jobs_racing_to_post_the_parent_end_with_one(
    stand_ins: StandIns, transport: Transport
) -> None:
    api = Racing(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
    opened = threads.open_thread(api, "C0DEPLOYS", "v1", WINDOW, PARENT, print)
    assert opened.ts == api.rival and not opened.created
    parents = [k for k, m in stand_ins.behaviour.slack_messages.items() if "metadata" in m]
    assert parents == [f"C0DEPLOYS/{api.rival}"]  # this job's copy was deleted


class Undeletable(Racing):
    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        if method == "chat.delete":
            from cibridge.clients.slack_api import SlackError

            raise SlackError(method, "cant_delete_message", "")
        return super().call(method, args, read=read)


def test_a_copy_that_cannot_be_deleted_is_named_and_the_older_parent_kept(
    stand_ins: StandIns, transport: Transport
) -> None:
    api = Undeletable(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
    warnings: list[str] = []
    opened = threads.open_thread(api, "C0DEPLOYS", "v1", WINDOW, PARENT, warnings.append)
    assert opened.ts == api.rival
    assert warnings and "cant_delete_message" in warnings[0]


def _thread(api: SlackApi) -> threads.Thread:
    return threads.open_thread(api, "C0DEPLOYS", "v1", WINDOW, PARENT, print)


def test_refresh_shows_every_stage_reply_and_ignores_other_replies(
    api: SlackApi, stand_ins: StandIns
) -> None:
    opened = _thread(api)
    threads.reply(api, opened, {"text": "built"}, "v1", Stage("build", "success"), False)
    _post(api, text="a person says hi", thread_ts=opened.ts)
    threads.reply(api, opened, {"text": "gate"}, "v1", Stage("gate", "failure"), True)
    api.calls = 0
    stages = threads.refresh(api, opened, "v1", _render, {"repository": "acme/shop"})
    assert [s.name for s in stages] == ["build", "gate"]
    assert api.calls == 3  # read, write, read again: nothing arrived in between
    parent = stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{opened.ts}"]
    assert parent["text"] == "✅build ❌gate"
    assert parent["metadata"]["event_payload"] == {"release": "v1", "repository": "acme/shop"}
    broadcast = [m for m in stand_ins.behaviour.slack_messages.values() if m.get("reply_broadcast")]
    assert [m["text"] for m in broadcast] == ["gate"]


class Interrupted(SlackApi):
    """Another job replies while this one writes the parent."""

    thread: threads.Thread | None = None

    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        answer = super().call(method, args, read=read)
        if method == "chat.update" and self.thread is not None:
            opened, self.thread = self.thread, None
            threads.reply(self, opened, {"text": "late"}, "v1", Stage("deploy", "success"), False)
        return answer


def test_a_reply_that_arrives_while_the_parent_is_written_is_written_too(
    stand_ins: StandIns, transport: Transport
) -> None:
    api = Interrupted(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
    opened = _thread(api)
    threads.reply(api, opened, {"text": "built"}, "v1", Stage("build", "success"), False)
    api.thread = opened
    stages = threads.refresh(api, opened, "v1", _render, {})
    assert [s.name for s in stages] == ["build", "deploy"]
    assert (
        stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{opened.ts}"]["text"] == "✅build ✅deploy"
    )


class Busy(SlackApi):
    """A reply arrives at every write: the refresh stops after its rounds."""

    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        answer = super().call(method, args, read=read)
        if method == "chat.update":
            channel, ts = str(args["channel"]), str(args["ts"])
            super().call("chat.postMessage", {"channel": channel, "thread_ts": ts, "text": "x"})
        return answer


def test_refresh_is_bounded_when_replies_never_stop(
    stand_ins: StandIns, transport: Transport
) -> None:
    api = Busy(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
    opened = _thread(api)
    api.calls = 0
    threads.refresh(api, opened, "v1", _render, {})
    writes = threads.REFRESH_ROUNDS
    assert api.calls == (writes + 1) + writes * 2  # reads, writes and the rival's replies


def test_another_apps_stage_metadata_in_the_thread_is_not_a_stage(
    api: SlackApi, stand_ins: StandIns
) -> None:
    opened = _thread(api)
    threads.reply(api, opened, {"text": "built"}, "v1", Stage("build", "success"), False)
    forged = threads.reply(api, opened, {"text": "x"}, "v1", Stage("gate", "success"), False)
    # The same metadata, posted by another app (Slack shows its own bot_id).
    stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{forged}"]["bot_id"] = "B0OTHERAPP"
    stages = threads.refresh(api, opened, "v1", _render, {})
    assert [s.name for s in stages] == ["build"]


class Tsless(SlackApi):
    def call(self, method: str, args: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        answer = super().call(method, args, read=read)
        return {"ok": True} if method == "chat.postMessage" else answer


def test_a_post_answered_without_a_ts_is_an_error_not_a_thread_at_the_top(
    stand_ins: StandIns, transport: Transport
) -> None:
    from cibridge.core.errors import CibridgeError

    api = Tsless(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
    with pytest.raises(CibridgeError, match="named no ts") as raised:
        threads.open_thread(api, "C0DEPLOYS", "v9", WINDOW, PARENT, print)
    assert raised.value.exit_code == 1
