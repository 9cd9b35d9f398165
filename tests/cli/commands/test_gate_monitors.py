"""``gate rules --format datadog`` against the Datadog stand-in: printed, installed once
(a rerun posts nothing), changed in place, removed when the check is gone, dry runs that
change nothing, and refusals named with Datadog's words while the other monitors land."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cibridge.demo.standins import StandIns
from cibridge.demo.standins.datadog import Datadog, datadog_of

CHECKS = """post_deployment_validation:
  metrics_validation:
    - name: error_rate
      source: datadog
      query: "sum:trace.http.request.errors{service:{{ service_name }}}.as_rate()"
      max_value: 0.5
      duration: 5m
      interval: 30s
    - name: apdex
      source: datadog
      query: "avg:trace.http.request.apdex{service:{{ service_name }}}"
      min_value: 0.8
    - name: up
      source: prometheus
      query: up
      min_value: 1
"""


@pytest.fixture
def datadog() -> Iterator[StandIns]:
    with StandIns((Datadog,)) as servers:
        yield servers


def _config(tmp_path: Path, text: str = CHECKS) -> None:
    (tmp_path / ".cibridge.yml").write_text(text, encoding="utf-8")


def _rules(cli, datadog: StandIns, *more: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    given = datadog.env() if env is None else env
    return cli(
        "gate", "rules", "--format", "datadog", "--set", "service_name=checkout", *more, env=given
    )


def _writes(datadog: StandIns) -> list[str]:
    return [f"{r.method} {r.path}" for r in datadog.received if r.method != "GET"]


def test_without_apply_the_monitors_are_printed_and_prometheus_checks_named(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    result = _rules(cli, datadog)
    assert result.code == 0, result.all
    monitors = json.loads(result.out)
    assert [m["query"] for m in monitors] == [
        "min(last_5m):sum:trace.http.request.errors{service:checkout}.as_rate() > 0.5",
        "avg(last_1m):avg:trace.http.request.apdex{service:checkout} < 0.8",
    ]
    assert "up: runs in Prometheus" in result.err
    assert datadog.received == []  # nothing asked of Datadog


def test_apply_installs_once_then_changes_in_place_then_removes(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    stand_in = datadog_of(datadog)
    stand_in.monitors[7] = {"id": 7, "type": "query alert", "query": "x", "tags": ["team:web"]}
    first = _rules(cli, datadog, "--apply")
    assert first.code == 0, first.all
    assert "- error_rate (max): added" in first.out and "- apdex (min): added" in first.out
    assert len(stand_in.monitors) == 3  # two of ours beside the team's own

    writes = len(_writes(datadog))
    again = _rules(cli, datadog, "--apply")
    assert again.code == 0 and "- error_rate (max): unchanged" in again.out, again.all
    assert len(_writes(datadog)) == writes  # listed only: nothing posted or put

    _config(tmp_path, CHECKS.replace("max_value: 0.5", "max_value: 0.25"))
    changed = _rules(cli, datadog, "--apply")
    assert "- error_rate (max): changed" in changed.out, changed.all
    assert _writes(datadog)[-1].startswith("PUT /datadog/api/v1/monitor/")
    queries = sorted(m["query"] for m in stand_in.monitors.values())
    assert any(q.endswith("> 0.25") for q in queries) and len(queries) == 3

    _config(
        tmp_path, CHECKS.replace("min_value: 0.8", "failure_action: ignore\n      min_value: 0.8")
    )
    removed = _rules(cli, datadog, "--apply")
    assert "- apdex (min): removed" in removed.out, removed.all
    assert 7 in stand_in.monitors and len(stand_in.monitors) == 2


def test_dry_run_lists_and_changes_nothing(cli, datadog: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    result = _rules(cli, datadog, "--apply", "--dry-run")
    assert result.code == 0, result.all
    assert "would change Datadog monitors tagged cibridge-service:checkout" in result.out
    assert "- apdex (min): added" in result.out
    assert datadog_of(datadog).monitors == {} and _writes(datadog) == []


def test_one_refused_monitor_is_named_and_the_others_still_land(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    assert _rules(cli, datadog, "--apply").code == 0
    stand_in = datadog_of(datadog)
    apdex = next(n for n, m in stand_in.monitors.items() if "apdex" in m["query"])
    stand_in.referenced.add(apdex)  # a composite monitor uses it: Datadog keeps it
    _config(
        tmp_path,
        CHECKS.replace("min_value: 0.8", "failure_action: ignore\n      min_value: 0.8").replace(
            "max_value: 0.5", "max_value: 0.4"
        ),
    )
    result = _rules(cli, datadog, "--apply")
    assert result.code == 1, result.all
    assert f"Datadog monitor apdex (min): Datadog answered HTTP 400: monitor {apdex} is " in (
        result.err
    )
    assert any(m["query"].endswith("> 0.4") for m in stand_in.monitors.values())


def test_keys_are_required_and_a_refused_key_stops_before_any_change(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    env = datadog.env()
    no_app_key = {k: v for k, v in env.items() if k != "DD_APP_KEY"}
    missing = _rules(cli, datadog, "--apply", env=no_app_key)
    assert missing.code == 2 and "monitors need an application key" in missing.err
    assert "monitors_read, monitors_write" in missing.err
    wrong = _rules(cli, datadog, "--apply", env={**env, "DD_APP_KEY": "not-the-key"})
    assert wrong.code == 1 and "Datadog monitors: Datadog answered HTTP 403" in wrong.err
    assert "not-the-key" not in wrong.all
    assert datadog_of(datadog).monitors == {}


def test_a_wrong_api_base_is_an_error_with_datadogs_answer(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    env = {**datadog.env(), "DATADOG_API_URL": datadog.env()["DATADOG_API_URL"] + "/api/v2/dora"}
    result = _rules(cli, datadog, "--apply", env=env)
    assert result.code == 1, result.all
    assert "Datadog monitors: Datadog answered HTTP 404: Not found" in result.err


def test_rules_dir_and_output_with_apply_are_refused(
    cli, datadog: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _config(tmp_path)
    folder = _rules(cli, datadog, "--apply", "--rules-dir", str(tmp_path))
    assert folder.code == 2 and "--rules-dir is a Prometheus folder" in folder.err
    both = _rules(cli, datadog, "--apply", "--output", str(tmp_path / "m.json"))
    assert both.code == 2 and "choose one" in both.err


def test_the_stand_in_refuses_a_threshold_that_is_not_the_querys(datadog: StandIns) -> None:
    import requests

    env = datadog.env()
    body = {
        "type": "query alert",
        "query": "avg(last_5m):avg:system.cpu{*} > 90",
        "options": {"thresholds": {"critical": 80}},
    }
    headers = {"DD-API-KEY": env["DD_API_KEY"], "DD-APPLICATION-KEY": env["DD_APP_KEY"]}
    answer = requests.post(
        f"{env['DATADOG_API_URL']}/api/v1/monitor", json=body, headers=headers, timeout=5
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": ["Alert threshold (80) does not match that used in the query (90)."]
    }
