"""notify, jira and gate in an Azure Pipelines script step, against the stand-ins.

There is no Azure Pipelines agent here: each command runs with the predefined variables an
agent sets (tests/azure_job.py) and its output is read as the agent reads it, so the tests
check what the agent would do: which variables it sets, which values it masks, which
issues it shows, and that nothing from the data is obeyed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from cibridge.demo.standins import StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN
from tests.azure_job import azure_env, commands, formatting, outputs

HOSTILE = (
    "PROJ-1: empty carts no longer crash\n\n"
    "##vso[task.setvariable variable=DEPLOY_TARGET]attacker\n"
    "##[error]forged"
)


def _secrets_first(text: str) -> list[str]:
    """The values masked, checking that every setsecret comes before any other line."""
    lines = text.splitlines()
    masked = [c.data for c in commands(text) if c.name == "task.setsecret"]
    assert all(line.startswith("##vso[task.setsecret]") for line in lines[: len(masked)]), lines
    return masked


def _obeyed(text: str) -> set[str]:
    return {c.name for c in commands(text)}


def test_notify_in_a_script_step(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **azure_env(tmp_path, AGENT_JOBSTATUS="Failed", BUILD_SOURCEVERSIONMESSAGE=HOSTILE),
        "SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"],
    }
    result = cli("notify", "--to", "slack", env=env)
    assert result.code == 0, result.all
    [slack] = stand_ins.of("slack")
    assert slack.json["text"].startswith("❌")  # Agent.JobStatus Failed, read as failure
    text = json.dumps(slack.json)
    assert "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=4242" in text
    # The webhook is a credential as a whole: the agent is told to mask it before anything.
    assert env["SLACK_WEBHOOK_URL"] in _secrets_first(result.out)
    assert outputs(result.out) == {
        "ok": "true",
        "message_id": "",
        "channel_id": "",
        "attached": "0",
        "file_ids": "",
    }
    assert _obeyed(result.out + result.err) <= {
        "task.setsecret",
        "task.setvariable",
        "task.uploadsummary",
    }
    assert "DEPLOY_TARGET" not in outputs(result.out + result.err)


def test_a_rejected_message_is_an_error_issue_and_the_outputs_still_say_so(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/services/T0/B0/x").respond_with_data("invalid_payload", status=400)
    env = {
        **azure_env(tmp_path),
        "SLACK_WEBHOOK_URL": httpserver.url_for("/services/T0/B0/x"),
        "CIBRIDGE_HTTP_RETRIES": "0",
    }
    result = cli("notify", "--to", "slack", env=env)
    assert result.code == 1, result.all
    issues = [c for c in commands(result.out) if c.name == "task.logissue"]
    assert issues and issues[0].properties["type"] == "error"
    assert "Slack" in issues[0].data and "400" in issues[0].data
    assert outputs(result.out)["ok"] == "false"


def test_jira_in_a_script_step_moves_the_built_issue_and_links_the_run(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    jira = jira_of(stand_ins)
    env = {
        **stand_ins.env(),
        **azure_env(tmp_path, BUILD_SOURCEVERSIONMESSAGE=HOSTILE, ENVIRONMENT_NAME="production"),
        "CIBRIDGE_HTTP_RETRIES": "0",
    }
    argv = ("jira", "--transition", "Done", "--resolution", "Done", "--comment")
    result = cli(*argv, env=env)
    assert result.code == 0, result.all
    issue = jira.issue("PROJ-1")
    assert issue.status == "Done" and len(issue.comments) == 1
    (link,) = issue.remote_links
    assert link["object"]["url"] == (
        "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=4242"
    )
    assert jira.spec_rejections == []
    assert json.loads(outputs(result.out)["issues"]) == ["PROJ-1"]
    assert outputs(result.out)["transitioned"] == "1"
    masked = _secrets_first(result.out)
    assert JIRA_TOKEN in masked
    basic = base64.b64encode(f"{env['JIRA_USER_EMAIL']}:{JIRA_TOKEN}".encode()).decode()
    for line in (result.out + result.err).splitlines():
        if not line.startswith("##vso[task.setsecret]"):
            assert JIRA_TOKEN not in line and basic not in line, line
    # The summary page is a file the agent uploads.
    (summary,) = [c.data for c in commands(result.out) if c.name == "task.uploadsummary"]
    assert "PROJ-1" in Path(summary).read_text()
    assert _obeyed(result.out + result.err) <= {
        "task.setsecret",
        "task.setvariable",
        "task.uploadsummary",
    }
    # A rerun of the job (its second attempt) adds no second comment.
    again = cli(*argv, env={**env, "SYSTEM_JOBATTEMPT": "2"})
    assert again.code == 0, again.all
    assert len(jira.issue("PROJ-1").comments) == 1


def test_gate_in_a_script_step(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A failing health check whose server answers with a secret and a logging command:
    the answer is shown in the issue and the log, never obeyed, the secret masked."""
    password = "canary-health-key-5e1"
    answer = f"{password} ##vso[task.complete result=Succeeded;]done"
    httpserver.expect_request("/health").respond_with_json({"status": answer})
    httpserver.expect_request("/ready").respond_with_data("ok")
    (tmp_path / ".cibridge.yml").write_text(
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        f"      - {{url: '{httpserver.url_for('/ready')}'}}\n"
        f"      - {{url: '{httpserver.url_for('/health')}', json_path: status, json_value: ok,"
        " headers: {X-Key: '${HEALTH_KEY}'}}\n",
        encoding="utf-8",
    )
    env = {**azure_env(tmp_path), "HEALTH_KEY": password, "PROMETHEUS_PASSWORD": password}
    result = cli("gate", env=env)
    assert result.code == 1, result.all
    found = outputs(result.out)
    assert found["result"] == "fail" and found["rollback_dispatched"] == "false"
    issues = [c.data for c in commands(result.out) if c.name == "task.logissue"]
    assert any("status is '*** ##vso[task.complete" in issue for issue in issues), issues
    assert "##vso\\x5btask.complete" in result.out  # the log line shows it, escaped
    assert "task.complete" not in _obeyed(result.out + result.err)
    assert password in _secrets_first(result.out)
    for line in (result.out + result.err).splitlines():
        if not line.startswith("##vso[task.setsecret]"):
            assert password not in line, line
    assert formatting(result.out + result.err) == []
