"""What each command's result says in its release: the stage line and the reply."""

from __future__ import annotations

import json

from cibridge.release.from_command import Done, of, spark
from cibridge.render.labels import for_locale

EN, ZH = for_locale("en"), for_locale("zh-CN")


def test_notify_is_its_event_with_the_jobs_status() -> None:
    stage, reply = of(
        Done("notify", {}, True, "https://ci/1", "deploy", "success", "production"), EN
    )
    assert (stage.name, stage.result, stage.url) == ("deploy production", "success", "https://ci/1")
    assert reply.title == "Deployment succeeded"
    running, _ = of(Done("notify", {}, True, event="build", status="running"), EN)
    assert running.result == "running"


def test_jira_names_the_issues_and_counts_the_failures() -> None:
    outputs = {"issues": json.dumps(["PROJ-1", "PROJ-2"]), "transitioned": "1", "failed": "1"}
    done = Done(
        "jira", outputs, False, transition="Done", tracker_url="https://acme.atlassian.net/"
    )
    stage, reply = of(done, EN)
    assert stage.result == "failure"
    assert stage.text == "moved 1 Jira issues to Done, 1 failed"
    assert reply.links[0] == {"text": "PROJ-1", "url": "https://acme.atlassian.net/browse/PROJ-1"}
    assert of(done, ZH)[0].text == "已将 1 个 Jira 问题移至 Done, 1 个失败"


def test_a_thousand_issues_name_ten_and_count_the_rest() -> None:
    outputs = {"issues": json.dumps([f"P-{n}" for n in range(1000)]), "transitioned": "1000"}
    _, reply = of(Done("jira", outputs, True), EN)
    assert reply.lines[0].endswith("P-9 … (+990)")


def test_the_gate_reply_has_each_check_with_a_sparkline_and_the_rollback() -> None:
    report = {
        "checks": [
            {
                "name": "p95",
                "verdict": "fail",
                "value": 0.8123456,
                "threshold": "≤ 0.5",
                "why": "0.81 > 0.5",
                "observations": [{"value": 0.1}, {"value": 0.5}, {"value": 0.9}, {"value": None}],
            },
            "not a check",
        ]
    }
    outputs = {
        "result": "fail",
        "action": "rollback",
        "rollback-dispatched": "true",
        "rollback-url": "https://github.com/acme/shop/actions",
    }
    stage, reply = of(Done("gate", outputs, False, report=report), EN)
    assert (stage.name, stage.result) == ("gate", "failure")
    assert stage.text == "gate failed → rollback started"
    assert reply.table == [
        {
            "name": "p95",
            "verdict": "fail",
            "value": "0.8123",
            "threshold": "≤ 0.5",
            "why": "0.81 > 0.5",
            "spark": "▁▅█",
        }
    ]
    assert reply.links == [
        {"text": "Rollback pipeline", "url": "https://github.com/acme/shop/actions"}
    ]


def test_a_gate_that_decided_but_did_not_start_a_rollback_says_which() -> None:
    outputs = {"result": "fail", "action": "rollback", "rollback-pipeline": "rollback-shop"}
    stage, _ = of(Done("gate", outputs, False), EN)
    assert stage.text == "gate failed → rollback decided (rollback-shop)"
    inconclusive, _ = of(Done("gate", {"result": "inconclusive"}, True), EN)
    assert (inconclusive.result, inconclusive.text) == ("skipped", "gate inconclusive")


def test_trigger_names_the_pipelines_it_started() -> None:
    started = [
        {"pipeline": "deploy", "issue": "PROJ-7", "rule": "r", "target": "https://ci/p/5"},
        {"pipeline": "notes", "issue": "PROJ-7", "rule": "r", "target": "acme/notes"},
    ]
    outputs = {"pipelines": json.dumps(started), "dispatched": "2", "failed": "0"}
    stage, reply = of(Done("trigger", outputs, True), EN)
    assert (stage.name, stage.result, stage.text) == ("trigger", "success", "started 2 pipelines")
    assert reply.lines == ["deploy (PROJ-7), notes (PROJ-7)"]
    assert reply.links == [{"text": "deploy", "url": "https://ci/p/5"}]  # only a web address


def test_outputs_of_the_wrong_shape_are_read_as_nothing() -> None:
    stage, reply = of(Done("trigger", {"pipelines": "{not json", "dispatched": "x"}, True), EN)
    assert stage.text == "started 0 pipelines" and reply.links == []
    boards, _ = of(Done("boards", {"work-items": "5", "moved": "1"}, True, transition="Done"), EN)
    assert boards.text == "moved 1 work items to Done"


def test_the_user_names_the_stage() -> None:
    stage, _ = of(Done("notify", {}, True, event="build", status="success", stage="smoke"), EN)
    assert stage.name == "smoke"


def test_spark_spans_its_own_range() -> None:
    assert spark([]) == ""
    assert spark([3.0, 3.0]) == "▁▁"
    assert spark([0.0, 1.0]) == "▁█"


def test_a_trigger_that_matched_without_dispatching_says_so() -> None:
    listed = [{"pipeline": "deploy", "issue": "PROJ-7", "rule": "r", "target": "acme/shop"}]
    outputs = {"pipelines": json.dumps(listed), "dispatched": "0"}
    stage, _ = of(Done("trigger", outputs, True), EN)
    assert stage.text == "1 pipelines to start (not dispatched)"
