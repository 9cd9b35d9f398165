"""`cibridge jira --deployment` against the Jira stand-in, which checks the submission
against Atlassian's Jira Software OpenAPI document and accepts only OAuth tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.demo.standins import JIRA_CLIENT_ID, JIRA_CLIENT_SECRET, StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN

ARGS = ("jira", "--issue", "PROJ-1", "--issue", "OPS-2", "--issue", "NOPE-9", "--no-remote-link")


@pytest.fixture
def oauth_env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "cibridge.yml"
    config.write_text(
        "integrations:\n  jira:\n    type: oauth2\n"
        f"    token_url: {stand_ins.base}/jira/oauth/token\n"
    )
    env = {k: v for k, v in stand_ins.env().items() if k not in ("JIRA_API_TOKEN",)}
    return {
        **env,
        "JIRA_CLIENT_ID": JIRA_CLIENT_ID,
        "JIRA_CLIENT_SECRET": JIRA_CLIENT_SECRET,
        "CIBRIDGE_CONFIG": str(config),
        "CIBRIDGE_HTTP_RETRIES": "0",
        "GITHUB_ACTIONS": "",
    }


def _github(tmp_path: Path, run_id: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text('{"repository": {"default_branch": "main"}}')
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_WORKFLOW": "deploy",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def test_a_deployment_is_recorded_on_every_issue_found_and_a_rerun_updates_it(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    jira = jira_of(stand_ins)
    env = {**oauth_env, **_github(tmp_path, "9001")}
    argv = (*ARGS, "--deployment", "--environment", "prod-eu")
    first = cli(*argv, "--status", "running", env=env)
    assert first.code == 0, first.all
    assert "Jira deployment 9001 to prod-eu (production): in_progress, 2 issue(s)" in first.all
    assert jira.spec_rejections == []
    (stored,) = jira.deployments
    assert stored["state"] == "in_progress" and stored["environment"]["type"] == "production"
    assert stored["associations"][0]["values"] == ["PROJ-1", "OPS-2"]  # NOPE-9 is unknown
    assert stored["url"] == "https://github.com/acme/shop/actions/runs/9001"
    second = cli(*argv, "--status", "success", env=env)
    assert second.code == 0, second.all
    (updated,) = jira.deployments  # the same deployment, now successful
    assert updated["state"] == "successful"
    assert updated["updateSequenceNumber"] > stored["updateSequenceNumber"]


def test_an_api_token_is_refused_with_the_fix(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), **_github(tmp_path, "77"), "CIBRIDGE_HTTP_RETRIES": "0"}
    result = cli(*ARGS, "--deployment", "--environment", "staging", "--status", "success", env=env)
    assert result.code == 1, result.all
    assert "Jira deployment not recorded" in result.all and "HTTP 401" in result.all
    assert "OAuth credentials" in result.all and "JIRA_CLIENT_ID" in result.all
    shown = [line for line in result.all.splitlines() if not line.startswith("::add-mask::")]
    assert not [line for line in shown if JIRA_TOKEN in line]
    assert jira_of(stand_ins).deployments == []


def test_without_a_status_nothing_is_recorded_and_the_fix_is_named(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**oauth_env, **_github(tmp_path, "78")}
    result = cli(*ARGS, "--deployment", "--environment", "staging", env=env)
    assert result.code == 2, result.all
    assert "status is not known" in result.all and "job.status" in result.all
    assert jira_of(stand_ins).deployments == []


def test_the_dry_run_shows_the_deployment_and_records_nothing(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**oauth_env, **_github(tmp_path, "79")}
    result = cli(
        "--dry-run", *ARGS, "--deployment", "--environment", "qa", "--status", "failure", env=env
    )
    assert result.code == 0, result.all
    assert "POST /jira/rest/deployments/0.1/bulk (dry run, not sent)" in result.all
    assert '"state": "failed"' in result.all and '"type": "testing"' in result.all
    assert jira_of(stand_ins).deployments == []
