"""The demo's gate chapter judges a healthy service pass and a broken one rollback, with a
real Prometheus when one is installed and with health checks only when not."""

from __future__ import annotations

import os
import shutil

import pytest

from cibridge.cli.main import build_parser
from cibridge.cli.runtime import Runtime
from cibridge.context.platforms import detect
from cibridge.demo import gate as demo
from cibridge.demo.stage import Stage
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.datadog import Datadog
from tests.e2e.harness import require


def run(env: dict[str, str], stand_ins: StandIns | None = None) -> int:
    runtime = Runtime(build_parser().parse_args(["demo"]), env, detect(env))
    stage = Stage(runtime.platform, runtime.context, env, {}, runtime.templates_dir())
    return demo.chapter(stage, env, stand_ins)


def test_with_a_real_prometheus(capsys: pytest.CaptureFixture[str]) -> None:
    require("prometheus")
    assert run(dict(os.environ)) == 0
    out = capsys.readouterr().out
    assert "A real Prometheus" in out
    assert (
        '| error_ratio | `max(demo_error_ratio{job="checkout"})` | 0.25 | <= 0.01 | ❌ fail |'
        in out
    )
    assert "gate fail, action rollback" in out and "gate pass, action none" in out


def test_without_prometheus_health_checks_only(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    python = os.path.dirname(shutil.which("python3") or "/usr/bin/python3")
    env = {**os.environ, "PATH": "/nonexistent"}
    assert shutil.which("prometheus", path=env["PATH"]) is None and python
    assert run(env) == 0
    out = capsys.readouterr().out
    assert "prometheus is not installed: this chapter runs the health checks only" in out
    assert "error_ratio" not in out and "gate fail, action rollback" in out


def test_with_the_datadog_stand_in_a_datadog_check_judges_both_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**os.environ, "PATH": "/nonexistent"}  # health checks and Datadog only
    with StandIns((Datadog,)) as stand_ins:
        assert run({**env, **stand_ins.env()}, stand_ins) == 0
        queries = [r.json for r in stand_ins.of("datadog")]
    out = capsys.readouterr().out
    assert "The Datadog stand-in answers the p95_latency check" in out
    assert "| 1.8 | <= 0.5 | ❌ fail | 1.8 > max_value 0.5" in out, out
    assert len(queries) == 2  # one observation per run
    assert queries[0]["data"]["attributes"]["interval"] == 1000
