from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.config import loader as config
from cibridge.gate.validate import validate

CHECKS = """
integration_configs:
  monitoring:
    prometheus:
      url: {url}
post_deployment_validation:
  metrics_validation:
    - name: errors
      query: up
      max_value: 1
      duration: {duration}
  health_check_validation:
    http_checks:
      - url: http://127.0.0.1:1/health
        expected_status: {status}
        timeout: {timeout}
  rollback_policy:
    max_failures: {failures}
"""
GOOD = {
    "url": "http://prom:9090",
    "duration": "5m",
    "status": 200,
    "timeout": "5s",
    "failures": 3,
}


def problems(tmp_path: Path, **bad: object) -> list[str]:
    path = tmp_path / ".cibridge.yml"
    path.write_text(CHECKS.format(**{**GOOD, **bad}), encoding="utf-8")
    found = validate(config.load([path], {}), {})
    assert all(problem.exit_code == 2 for problem in found)
    return [f"{problem.message} | {problem.hint}" for problem in found]


def test_a_good_gate_has_no_problem(tmp_path: Path) -> None:
    assert problems(tmp_path) == []


@pytest.mark.parametrize(
    ("bad", "named", "fix"),
    [
        ({"failures": "three"}, "max_failures", "whole number"),
        ({"duration": '"5 minutes"'}, "duration", ""),
        ({"status": "ok"}, "expected_status", "2xx"),
        ({"url": "prom:9090"}, "Prometheus url", "https://"),
        ({"timeout": "fast"}, "timeout", ""),
    ],
)
def test_each_bad_value_is_named_with_its_fix(
    tmp_path: Path, bad: dict[str, object], named: str, fix: str
) -> None:
    [problem] = problems(tmp_path, **bad)
    assert named in problem and fix in problem
    assert ".cibridge.yml" in problem or "Prometheus url" in problem
