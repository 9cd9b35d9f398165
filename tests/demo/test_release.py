"""The demo's release chapter: six steps, each finding the thread by its metadata, end as
one parent with six replies; the thread is shown as a reader sees it."""

from __future__ import annotations

import pytest

from cibridge.cli.main import build_parser
from cibridge.cli.runtime import Runtime
from cibridge.context import sample
from cibridge.context.platforms import detect
from cibridge.demo import release as demo
from cibridge.demo.stage import Stage
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.slack import Slack


def test_one_release_is_one_thread_from_the_trigger_to_the_rollback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with StandIns((Slack,)) as stand_ins:
        env = stand_ins.env()
        runtime = Runtime(build_parser().parse_args(["demo"]), env, detect(env))
        stage = Stage(runtime.platform, sample.build(), env, {}, runtime.templates_dir())
        stage.published["trigger"] = {"pipelines": "[]", "dispatched": "1", "failed": "0"}
        assert demo.chapter(stage, env, stand_ins) == 0
        messages = stand_ins.behaviour.slack_messages
    parents = [m for m in messages.values() if "thread_ts" not in m]
    assert len(parents) == 1 and len(messages) == 7
    out = capsys.readouterr().out
    assert "notify   posted the parent" in out
    assert out.count("found the parent by its metadata") == 5
    assert "│ ✅ trigger — started 1 pipelines" in out
    assert "├─ 6 replies" in out
    assert "│ ↳ 🔄 rollback — Deployment is running" in out
    assert "32 Slack calls for 6 steps" in out


def test_the_view_shows_links_as_their_text_and_marks_broadcast_replies() -> None:
    parent = {
        "text": "x",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Release* <https://x|v1>"}}
        ],
        "metadata": {"event_type": "cibridge_release", "event_payload": {"release": "v1"}},
    }
    reply = {"text": "❌ gate", "thread_ts": "1.1", "reply_broadcast": True}
    shown = demo.view({"C1/1.1": parent, "C1/1.2": reply, "C2/1.3": reply}, "C1", "v1", "#x")
    assert "│ Release v1" in shown
    assert "│ ↳ ❌ gate  (also sent to the channel)" in shown
    assert "├─ 1 replies" in shown
