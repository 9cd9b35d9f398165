"""DORA events from `cibridge gate --dora`, checked by the Datadog stand-in with the official
client's models: one deployment per commit and environment however often the job runs, the
failure when the gate decides a rollback, the API key alone, never a changed verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.context.model import Context
from cibridge.demo.standins import StandIns, datadog_of
from cibridge.gate import dora
from cibridge.gate.results import CheckResult, GateResult, Observation

SHA = "0123456789abcdef0123456789abcdef01234567"
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/checkout",
    "GITHUB_SHA": SHA,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "77",
}


def outputs(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in text.splitlines()
        if "=" in line and " " not in line.split("=")[0]
    )


@pytest.fixture
def env(stand_ins: StandIns, httpserver: HTTPServer, tmp_path: Path) -> dict[str, str]:
    httpserver.expect_request("/health").respond_with_data("ok")
    (tmp_path / ".cibridge.yml").write_text(
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        f"      - {{name: health, url: '{httpserver.url_for('/health')}', failure_action: rollback}}\n"
        "  rollback_policy: {enabled: true, max_failures: 1, rollback_pipeline: rollback}\n",
        encoding="utf-8",
    )
    found = stand_ins.env()
    # The API key only: DORA events need no application key.
    return {
        **GITHUB,
        "DATADOG_API_URL": found["DATADOG_API_URL"],
        "DD_API_KEY": found["DD_API_KEY"],
    }


def test_a_rerun_sends_the_same_deployment(
    cli, stand_ins: StandIns, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DD_APP_KEY", raising=False)
    args = (
        "gate",
        "--dora",
        "--environment",
        "production",
        "--set",
        "service_name=checkout",
        "--set",
        "version=1.5.0",
    )
    first = cli(*args, env=env)
    second = cli(*args, env=env)
    assert first.code == 0 and second.code == 0, first.all
    recorded = datadog_of(stand_ins).deployments
    assert len(recorded) == 1
    deployment = recorded[0]
    assert deployment["service"] == "checkout" and deployment["env"] == "production"
    assert deployment["version"] == "1.5.0"
    assert deployment["git"] == {
        "commit_sha": SHA,
        "repository_url": "https://github.com/acme/checkout",
    }
    assert deployment["started_at"] <= deployment["finished_at"]
    assert f"Datadog DORA: deployment of checkout recorded ({deployment['id']})" in first.out
    assert datadog_of(stand_ins).failures == []


def test_a_decided_rollback_also_sends_the_failure(
    cli, stand_ins: StandIns, env: dict[str, str], httpserver: HTTPServer
) -> None:  # type: ignore[no-untyped-def]
    httpserver.clear()
    httpserver.expect_request("/health").respond_with_data("down", status=503)
    result = cli(
        "gate", "--dora", "--environment", "production", "--set", "service_name=checkout", env=env
    )
    assert result.code == 1 and outputs(result.out)["action"] == "rollback"
    [failure] = datadog_of(stand_ins).failures
    assert failure["services"] == ["checkout"] and failure["env"] == "production"
    assert failure["name"] == "cibridge gate: rollback of checkout in production"
    assert len(datadog_of(stand_ins).deployments) == 1


def test_dora_true_in_the_config_turns_it_on(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / ".cibridge.yml"
    config.write_text(
        config.read_text() + "integration_configs:\n  monitoring:\n    datadog: {dora: true}\n"
    )
    assert cli("gate", "--set", "service_name=checkout", env=env).code == 0
    assert len(datadog_of(stand_ins).deployments) == 1


def test_a_refused_event_is_a_warning_and_the_verdict_stands(
    cli, stand_ins: StandIns, env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    datadog_of(stand_ins).fail_next = [400]
    result = cli("gate", "--dora", "--set", "service_name=checkout", env=env)
    assert result.code == 0 and outputs(result.out)["result"] == "pass"
    assert (
        "Datadog DORA: the deployment was not recorded: Datadog DORA deployment: Datadog answered HTTP 400: Bad Request"
        in result.all
    )


def test_no_api_key_stops_the_gate_before_it_runs(
    cli,
    stand_ins: StandIns,
    env: dict[str, str],
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DD_API_KEY", raising=False)
    without = {k: v for k, v in env.items() if k != "DD_API_KEY"}
    result = cli("gate", "--dora", "--set", "service_name=checkout", env=without)
    assert result.code == 2 and "Datadog: no API key is configured" in result.all
    assert httpserver.log == []


def test_the_dry_run_says_it_would_send(cli, stand_ins: StandIns, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    result = cli("gate", "--dora", "--dry-run", "--set", "service_name=checkout", env=env)
    assert "would send the deployment to Datadog DORA metrics" in result.out
    assert stand_ins.of("datadog") == []


def _result(action: str) -> GateResult:
    failed = CheckResult(
        "c",
        "http",
        "u",
        "",
        "fail",
        "",
        "rollback",
        observations=[Observation(1_800_000_100.0, "fail", "")],
    )
    return GateResult(
        [failed], "fail", action, "", deployed_at=1_800_000_000.0, finished=1_800_000_200.0
    )  # type: ignore[arg-type]


def test_ids_are_what_datadog_accepts_and_differ_per_environment_and_kind() -> None:
    import re

    production = Context("github", repository="acme/checkout", sha=SHA, environment="production")
    staging = Context("github", repository="acme/checkout", sha=SHA, environment="staging")
    ids = {
        dora.identity("deployment", production, "checkout", 0),
        dora.identity("deployment", staging, "checkout", 0),
        dora.identity("failure", production, "checkout", 0),
    }
    assert len(ids) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_.:-]{16,128}", found) for found in ids)


def test_the_failure_starts_at_the_first_failed_observation() -> None:
    body = dora.failure(_result("rollback"), Context("local"), "checkout", "")
    assert body["data"]["attributes"]["started_at"] == 1_800_000_100
    assert "git" not in body["data"]["attributes"]  # no commit known: no git block
