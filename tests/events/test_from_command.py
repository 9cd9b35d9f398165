"""The events each command's result stands for: types, outcomes, one chain per run, ids
that repeat for the same result and a rollback linked to the deployment it undoes."""

from __future__ import annotations

import argparse
import json

import pytest

from cibridge.context.model import Context
from cibridge.events import from_command, schemas
from cibridge.events.model import Event

ENV = {"GITHUB_RUN_ATTEMPT": "1"}


def context(**values: str) -> Context:
    base = {
        "platform": "github",
        "repository": "acme/checkout",
        "repository_url": "https://github.com/acme/checkout",
        "sha": "a" * 40,
        "run_id": "7",
        "run_url": "https://github.com/acme/checkout/actions/runs/7",
        "job": "deploy",
        "environment": "production",
        "version": "1.5.0",
        "actor": "mona",
    }
    return Context(**{**base, **values})  # type: ignore[arg-type]


def valid(events: list[Event]) -> list[Event]:
    for event in events:
        assert schemas.problems(event.as_cdevent(), event.type) == [], event
    return events


def notify(status: str, event: str = "build", **values: str) -> list[Event]:
    run = from_command.run_of(context(**values), ENV)
    args = argparse.Namespace(status=status, event=event)
    return valid(from_command.notify(run, args, {"ok": "true"}))


@pytest.mark.parametrize(
    ("status", "outcome"), [("success", "success"), ("failure", "failure"), ("cancelled", "error")]
)
def test_notify_says_how_the_job_ended(status: str, outcome: str) -> None:
    [event] = notify(status)
    assert event.type == "taskrun.finished"
    assert event.content["outcome"] == outcome and event.content["taskName"] == "deploy"
    assert ("errors" in event.content) is (outcome != "success")
    assert event.content["pipelineRun"] == {"id": "7", "source": event.source}


def test_a_running_job_has_started() -> None:
    [event] = notify("running")
    assert event.type == "taskrun.started" and "outcome" not in event.content


def test_a_successful_deploy_notification_is_also_the_deployment() -> None:
    _finished, deployed = notify("success", event="deploy")
    assert deployed.type == "service.deployed"
    assert deployed.content == {
        "environment": {"id": "production"},
        "artifactId": "pkg:generic/checkout@1.5.0",
    }
    assert notify("failure", event="deploy")[0].type == "taskrun.finished"
    assert len(notify("failure", event="deploy")) == 1


def test_every_event_of_a_run_shares_its_chain_and_ids_repeat() -> None:
    first, again = notify("success", event="deploy"), notify("success", event="deploy")
    assert [e.id for e in first] == [e.id for e in again]  # a re-run: the same ids
    assert {e.chain for e in first} == {from_command.run_of(context(), ENV).chain}
    retried = from_command.run_of(context(), {"GITHUB_RUN_ATTEMPT": "2"})
    assert retried.chain == first[0].chain  # the same run ...
    assert retried.id("x") != from_command.run_of(context(), ENV).id("x")  # ... another attempt
    other = from_command.run_of(context(run_id="8"), ENV)
    assert other.chain != first[0].chain


def test_a_chain_handed_over_is_joined() -> None:
    run = from_command.run_of(context(), {**ENV, "CIBRIDGE_EVENTS_CHAIN": "release-1.5.0"})
    assert run.chain == "release-1.5.0"


def gate(outputs: dict[str, str]) -> list[Event]:
    run = from_command.run_of(context(), ENV)
    return valid(from_command.gate(run, {"service_name": "checkout"}, outputs))


def test_a_passing_gate_is_the_deployment_the_deploy_notification_announced() -> None:
    [deployed] = gate({"result": "pass", "action": "none"})
    assert deployed.id == notify("success", event="deploy")[1].id


def test_a_failed_gate_is_an_incident_and_its_rollback_links_to_the_deployment() -> None:
    incident, rolled = gate({"result": "fail", "action": "rollback", "rollback-dispatched": "true"})
    assert incident.type == "incident.detected"
    assert incident.content["service"] == {"id": "checkout"}
    assert rolled.type == "service.rolledback"
    [link] = rolled.as_cdevent()["context"]["links"]
    deployed = notify("success", event="deploy")[1]
    assert link == {
        "linkType": "RELATION",
        "linkKind": "ROLLBACK",
        "target": {"contextId": deployed.id},
    }


@pytest.mark.parametrize("result", ["error", "inconclusive", "dry-run"])
def test_a_gate_that_could_not_decide_says_nothing(result: str) -> None:
    assert gate({"result": result}) == []


def test_jira_updates_each_ticket_it_touched() -> None:
    run = from_command.run_of(context(), ENV)
    outputs = {"issues": json.dumps(["PROJ-1", "PROJ-2"]), "dry-run": "false"}
    events = valid(from_command.jira(run, outputs, "https://acme.atlassian.net/"))
    assert [(e.subject_id, e.content["uri"]) for e in events] == [
        ("PROJ-1", "https://acme.atlassian.net/browse/PROJ-1"),
        ("PROJ-2", "https://acme.atlassian.net/browse/PROJ-2"),
    ]
    assert from_command.jira(run, {**outputs, "dry-run": "true"}, "") == []


def test_the_trigger_queues_each_pipeline_it_started() -> None:
    run = from_command.run_of(context(), ENV)
    started = [
        {"pipeline": "deploy", "issue": "PROJ-1", "rule": "r", "target": "acme/x deploy.yml"}
    ]
    [event] = valid(from_command.trigger(run, {"pipelines": json.dumps(started)}))
    assert (event.type, event.subject_id) == ("pipelinerun.queued", "deploy/PROJ-1")
    assert event.content == {"pipelineName": "deploy"}
    assert from_command.trigger(run, {"pipelines": "not json"}) == []


def test_hostile_values_stay_data() -> None:
    """A version with a space, a slash and a quote is still one package URL."""
    [_, deployed] = notify("success", event="deploy", version='1.5 "/../x')
    assert deployed.content["artifactId"] == "pkg:generic/checkout@1.5%20%22%2F..%2Fx"


@pytest.mark.parametrize(
    ("result", "outcome", "errors"),
    [
        ("success", "success", None),
        ("failure", "failure", "failed: build (3.11), e2e"),
        ("cancelled", "error", "failed: build (3.11), e2e"),
    ],
)
def test_the_summary_is_the_whole_run(result: str, outcome: str, errors: str | None) -> None:
    run = from_command.run_of(context(workflow="CI"), ENV)
    outputs = {"result": result, "failed-jobs": json.dumps(["build (3.11)", "e2e"])}
    [event] = valid(from_command.summary(run, outputs))
    assert (event.type, event.subject_id) == ("pipelinerun.finished", "7")
    assert event.content["pipelineName"] == "CI" and event.content["outcome"] == outcome
    assert event.content.get("errors") == errors
    assert from_command.summary(run, {"result": "running"}) == []


def test_a_local_run_keeps_one_chain_for_the_whole_process() -> None:
    """Without a run id the chain is the process's own: the trigger's {{ events_chain }}
    and the events the same process publishes name the same chain."""
    local = context(platform="local", run_id="", run_url="")
    assert from_command.run_of(local, {}).chain == from_command.run_of(local, {}).chain
    assert from_command.run_of(local, {}).chain != from_command.run_of(context(), ENV).chain
