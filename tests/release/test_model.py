"""A release's metadata: which message is the parent, which reply is which stage."""

from __future__ import annotations

from cibridge.release.model import Stage, is_parent, merged, stage_of


def _message(kind: str, **payload: object) -> dict[str, object]:
    return {"ts": "1.1", "metadata": {"event_type": kind, "event_payload": payload}}


def test_the_parent_is_found_by_its_event_type_and_key_only() -> None:
    assert is_parent(_message("cibridge_release", release="v1"), "v1")
    assert not is_parent(_message("cibridge_release", release="v1"), "v2")
    assert not is_parent(_message("cibridge_notify", release="v1"), "v1")
    assert not is_parent({"ts": "1.1", "metadata": "cibridge_release"}, "v1")
    assert not is_parent({"ts": "1.1"}, "v1")


def test_a_stage_reply_and_notifys_own_message_are_stages_a_persons_reply_is_not() -> None:
    stage = Stage("gate", "failure", "gate failed", "https://ci/run/1")
    reply = _message("cibridge_release_stage", **stage.payload("v1"))
    notified = _message("cibridge_notify", environment="prod", **stage.payload("v1"))
    assert stage_of(reply, "v1") == stage
    assert stage_of(notified, "v1") == stage
    assert stage_of({"ts": "1.2", "text": "looks good to me"}, "v1") is None
    assert stage_of(reply, "v2") is None


def test_a_stage_of_the_wrong_shape_is_no_stage() -> None:
    assert stage_of(_message("cibridge_release_stage", release="v1", release_stage="gate", release_result="great"), "v1") is None  # fmt: skip
    assert stage_of(_message("cibridge_release_stage", release="v1", release_stage="", release_result="success"), "v1") is None  # fmt: skip
    assert stage_of(_message("cibridge_release_stage", release="v1", release_stage=["x"], release_result="success"), "v1") is None  # fmt: skip


def test_merged_keeps_the_first_order_and_the_latest_result() -> None:
    build = Stage("build", "success")
    gate_failed, gate_passed = Stage("gate", "failure"), Stage("gate", "success")
    deploy = Stage("deploy", "success")
    assert merged([build, gate_failed, deploy, gate_passed]) == [build, gate_passed, deploy]
