"""The GitLab CI/CD components under gitlab-ci-local (shell executor)."""

from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.e2e.harness import run_gitlab_ci_local
from tests.smtp_server import Mailbox, smtp_server


def test_render_component(tmp_path: Path) -> None:
    pipeline = """stages: [test]
include:
  - local: templates/render.yml
    inputs:
      template: dingtalk/build.yml.j2
      args: --locale zh-CN --set "summary=发布 v1.2"
      output: rendered.json
"""
    run = run_gitlab_ci_local(tmp_path, pipeline, commit_message='PROJ-5 "quoted" {{ 7*7 }} `tick`')
    assert run.code == 0, run.output
    assert "PASS  cibridge-render" in run.output
    data = json.loads((run.workdir / "rendered.json").read_text())
    text = data["markdown"]["text"]
    assert "构建通知" in text and "发布 v1.2" in text
    assert '"quoted" {{ 7\\*7 }} \\`tick\\`' in text  # from the commit, literal and escaped


def test_notify_component_success_and_failure(tmp_path: Path, stand_ins: StandIns) -> None:
    # E-mail goes to a real SMTP server on the host's loopback (STARTTLS, then a login).
    with smtp_server(tmp_path / "smtp") as mailbox:
        _success_and_failure(tmp_path, stand_ins, mailbox)


def _success_and_failure(tmp_path: Path, stand_ins: StandIns, mailbox: Mailbox) -> None:
    env = stand_ins.env()
    pipeline = """stages: [build]
include:
  - local: templates/notify.yml
    inputs:
      to: slack,dingtalk,mattermost,discord,telegram,google_chat,email
      event: deploy
      set: "environment=staging"
build:
  stage: build
  script:
    - echo building
"""
    variables = {
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "SLACK_CHANNEL": "#deployments",
        "DINGTALK_WEBHOOK_URL": env["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": env["DINGTALK_SECRET"],
        "MATTERMOST_WEBHOOK_URL": env["MATTERMOST_WEBHOOK_URL"],
        "DISCORD_WEBHOOK_URL": env["DISCORD_WEBHOOK_URL"],
        **mailbox.env(SMTP_TO="ops@example.com"),
        "TELEGRAM_BOT_TOKEN": env["TELEGRAM_BOT_TOKEN"],
        "TELEGRAM_CHAT_ID": env["TELEGRAM_CHAT_ID"],
        "TELEGRAM_API_URL": env["TELEGRAM_API_URL"],
        "GOOGLE_CHAT_WEBHOOK_URL": env["GOOGLE_CHAT_WEBHOOK_URL"],
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code == 0, run.output
    assert "PASS  cibridge-notify-success" in run.output
    [mattermost] = stand_ins.of("mattermost")
    assert mattermost.answer == b"ok"
    assert mattermost.json["text"].startswith("✅ Deployment · acme/checkout → staging")
    [mail] = mailbox.received
    assert (
        mail.message["Subject"] == "[acme/checkout] Deployment · acme/checkout → staging succeeded"
    )
    assert mail.recipients == ["ops@example.com"]
    assert "cibridge-notify-failure" not in run.output
    [slack] = stand_ins.of("slack")
    assert slack.json["text"].startswith("✅ Deployment · acme/checkout → staging")
    assert json.loads(stand_ins.of("dingtalk")[0].answer)["errcode"] == 0
    [discord] = stand_ins.of("discord")
    assert discord.status == 200
    assert discord.json["embeds"][0]["title"].startswith("✅ Deployment · acme/checkout → staging")
    [telegram] = stand_ins.of("telegram")
    assert json.loads(telegram.answer)["result"]["text"].startswith("✅ Deployment · acme/checkout")
    [chat] = stand_ins.of("google_chat")
    assert chat.status == 200 and chat.json["text"].startswith("✅ Deployment · acme/checkout")
    dotenv = (run.workdir / "cibridge.env").read_text()
    assert "ok=true" in dotenv and "channel_id=C0DEPLOYS" in dotenv

    failing = pipeline.replace("echo building", "exit 1")
    stand_ins.received.clear()
    run = run_gitlab_ci_local(tmp_path / "second", failing, variables)
    assert "PASS  cibridge-notify-failure" in run.output, run.output
    assert stand_ins.of("slack")[0].json["text"].startswith("❌")
    assert stand_ins.of("discord")[0].json["embeds"][0]["color"] == 0xE01E5A
    assert mailbox.received[-1].message["Subject"].endswith("→ staging failed")


def test_notify_component_attaches_files_into_the_thread(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    pipeline = """stages: [build]
include:
  - local: templates/notify.yml
    inputs:
      to: slack
      attach: |
        reports/gate.json
        deploy.log
build:
  stage: build
  script:
    - echo building
"""
    variables = {
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "SLACK_CHANNEL": "#deployments",
    }
    files = {
        "reports/gate.json": '{"verdict": "pass"}',
        "deploy.log": f"deployed with {standins.SLACK_TOKEN}\n",
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables, files=files)
    assert run.code == 0, run.output
    assert "PASS  cibridge-notify-success" in run.output
    posted = next(r for r in stand_ins.of("slack") if r.path.endswith("/chat.postMessage"))
    ts = json.loads(posted.answer)["ts"]
    shared = [
        f["name"]
        for m in stand_ins.behaviour.slack_messages.values()
        if m.get("thread_ts") == ts
        for f in m["files"]
    ]
    assert shared == ["gate.json", "deploy.log"]
    logged = [f["data"] for f in stand_ins.behaviour.slack_files.values()]
    assert logged == [b'{"verdict": "pass"}', b"deployed with ***\n"]
    dotenv = (run.workdir / "cibridge.env").read_text()
    assert "attached=2" in dotenv


def test_notify_component_fails_the_job_when_rejected(tmp_path: Path, stand_ins: StandIns) -> None:
    pipeline = """stages: [build]
include:
  - local: templates/notify.yml
    inputs:
      to: dingtalk
build:
  stage: build
  script: [echo ok]
"""
    variables = {
        "DINGTALK_WEBHOOK_URL": stand_ins.env()["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": "SECwrong",
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code != 0
    assert "FAIL  cibridge-notify-success" in run.output
    assert "errcode 310000" in run.output
    assert "SECwrong" not in run.output


def test_notify_component_fail_on_error_false_is_a_warning(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    pipeline = """stages: [build]
include:
  - local: templates/notify.yml
    inputs:
      to: dingtalk
      fail-on-error: "false"
build:
  stage: build
  script: [echo ok]
"""
    variables = {
        "DINGTALK_WEBHOOK_URL": stand_ins.env()["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": "SECwrong",
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code == 0, run.output
    assert "PASS  cibridge-notify-success" in run.output
    assert "WARNING: DingTalk rejected the message: errcode 310000" in run.output


def test_job_status_in_script_and_after_script(tmp_path: Path, stand_ins: StandIns) -> None:
    """CI_JOB_STATUS follows the runner's stages: `running` during script, the outcome in
    after_script; the message says exactly that, never a guessed success."""
    pipeline = """stages: [build]
build:
  stage: build
  script:
    - cibridge notify --to webhook
    - exit 1
  after_script:
    - cibridge notify --to webhook
"""
    env = stand_ins.env()
    variables = {
        "CIBRIDGE_WEBHOOK_URL": env["CIBRIDGE_WEBHOOK_URL"],
        "CIBRIDGE_WEBHOOK_SECRET": env["CIBRIDGE_WEBHOOK_SECRET"],
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code != 0
    assert [r.json["status"] for r in stand_ins.of("webhook")] == ["running", "failure"]
