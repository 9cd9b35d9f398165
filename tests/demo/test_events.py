"""The demo's event-stream chapter: the run's events, one chain, reach the CloudEvents sink
stand-in schema-valid (and a real NATS when nats-server is installed; the sink alone, saying
so, when not)."""

from __future__ import annotations

import os

import pytest

from cibridge.cli.main import build_parser
from cibridge.cli.runtime import Runtime
from cibridge.context import sample
from cibridge.context.platforms import detect
from cibridge.demo import events as demo
from cibridge.demo.stage import Stage
from cibridge.demo.standins import CDEventsSink, StandIns
from cibridge.events import schemas
from tests.e2e.harness import require


def run(env: dict[str, str], stand_ins: StandIns) -> int:
    runtime = Runtime(build_parser().parse_args(["demo"]), env, detect(env))
    stage = Stage(runtime.platform, sample.build(), env, {}, runtime.templates_dir())
    return demo.chapter(stage, {**env, **stand_ins.env()}, stand_ins)


def _sink(stand_ins: StandIns) -> CDEventsSink:
    return next(s for s in stand_ins.services if isinstance(s, CDEventsSink))


def test_with_nats(capsys: pytest.CaptureFixture[str]) -> None:
    require("nats-server")
    with StandIns((CDEventsSink,)) as stand_ins:
        assert run(dict(os.environ), stand_ins) == 0
        held = _sink(stand_ins).events
    out = capsys.readouterr().out
    assert "events: 4 event(s) delivered to nats" in out
    types = [".".join(e["context"]["type"].split(".")[2:4]) for e in held]
    assert types == [
        "taskrun.finished",
        "service.deployed",
        "incident.detected",
        "service.rolledback",
    ]
    assert all(schemas.problems(e, t) == [] for e, t in zip(held, types, strict=True))
    assert len({e["context"]["chainId"] for e in held}) == 1
    [link] = held[3]["context"]["links"]
    assert link["target"]["contextId"] == held[1]["context"]["id"]  # the rollback undoes it


def test_without_nats_the_sink_alone(capsys: pytest.CaptureFixture[str]) -> None:
    with StandIns((CDEventsSink,)) as stand_ins:
        assert run({"PATH": "/nonexistent"}, stand_ins) == 0
        assert len(_sink(stand_ins).events) == 4
    out = capsys.readouterr().out
    assert "nats-server is not installed: the events went to the HTTP sink only" in out
