"""The demo chapter: one move to Ready for Deployment, two deliveries, one run."""

from __future__ import annotations

import argparse
import io
import sys

from cibridge.cli.runtime import Runtime
from cibridge.context.platforms import detect
from cibridge.demo import trigger as demo
from cibridge.demo.stage import Stage
from cibridge.demo.standins import StandIns, jira_of


def test_two_deliveries_start_one_run(stand_ins: StandIns, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    env = {**stand_ins.env(), "CIBRIDGE_HTTP_RETRIES": "0"}
    runtime = Runtime(argparse.Namespace(), env, detect(env, out, out, forced="local"))
    stage = Stage(runtime.platform, runtime.context, env, {}, runtime.templates_dir())
    assert demo.chapter(stage, env) == 0, out.getvalue()
    assert stage.used == demo.CONFIG  # shown at the end of the demo as what it ran with
    text = out.getvalue()
    assert "started acme/checkout checkout-deploy.yml on main" in text
    assert "already dispatched by https://ci.example.com/demo/runs/1" in text
    assert "GitHub runs of checkout-deploy.yml started: 1" in text
    github = next(s for s in stand_ins.services if s.name == "github")
    assert len(github.dispatches) == 1  # type: ignore[attr-defined]
    assert jira_of(stand_ins).issue("PROJ-1").status == "Ready for Deployment"
