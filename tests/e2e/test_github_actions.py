"""The composite actions under a real GitHub Actions runner (act, host mode)."""

from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.conftest import FIXTURES
from tests.e2e.harness import COPY, run_act
from tests.smtp_server import PASSWORD, USER, Mailbox, smtp_server


def test_root_action_renders(tmp_path: Path) -> None:
    workflow = f"""on: push
jobs:
  render:
    runs-on: ubuntu-latest
    steps:
{COPY}      - id: render
        uses: ./
        with:
          command: render
          args: --sample --set 'service_name=checkout api' slack/deploy.yml.j2 --event deploy -o rendered.json
          config: .cibridge.yml  # optional: the repository has none, as in docs/github-actions.md
      - name: Show
        run: python3 -c 'import json; print("HEADER=" + json.load(open("rendered.json"))["attachments"][0]["blocks"][0]["text"]["text"])'
"""
    run = run_act(tmp_path, workflow, {"ref": "refs/heads/main", "commits": []})
    assert run.code == 0, run.output
    assert "HEADER=✅ Deployment · checkout api → production" in run.output
    assert "Python environment" in run.output  # the cached dependency set-up ran


def test_root_action_rejects_an_unknown_command(tmp_path: Path) -> None:
    workflow = f"""on: push
jobs:
  bad:
    runs-on: ubuntu-latest
    steps:
{COPY}      - uses: ./
        with:
          command: deploy-everything
"""
    run = run_act(tmp_path, workflow, {"ref": "refs/heads/main"})
    assert run.code != 0
    assert "input `command` must be one of" in run.output


def test_notify_action_posts_updates_and_signs(tmp_path: Path, stand_ins: StandIns) -> None:
    # E-mail goes to a real SMTP server on the host's loopback (STARTTLS, then a login).
    with smtp_server(tmp_path / "smtp") as mailbox:
        _posts_updates_and_signs(tmp_path, stand_ins, mailbox)


def _posts_updates_and_signs(tmp_path: Path, stand_ins: StandIns, mailbox: Mailbox) -> None:
    env = stand_ins.env()
    event = json.loads((FIXTURES / "github_push.json").read_text())
    workflow = f"""on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      SLACK_API_URL: {stand_ins.base}/slack/api
      SMTP_CA_BUNDLE: {mailbox.ca_bundle}
      TELEGRAM_API_URL: {env["TELEGRAM_API_URL"]}
      TELEGRAM_CHAT_ID: "{env["TELEGRAM_CHAT_ID"]}"
    steps:
{COPY}      - id: start
        uses: ./notify
        with:
          to: slack
          event: deploy
          status: running
          channel: "#deployments"
          slack-bot-token: ${{{{ secrets.SLACK_BOT_TOKEN }}}}
      - name: A log to attach, with a secret in it
        env:
          TOKEN: ${{{{ secrets.SLACK_BOT_TOKEN }}}}
        run: echo "deployed with $TOKEN" > deploy.log
      - id: done
        uses: ./notify
        with:
          to: slack
          event: deploy
          status: success
          channel: ${{{{ steps.start.outputs.channel-id }}}}
          update: ${{{{ steps.start.outputs.message-id }}}}
          attach: |
            deploy.log
          slack-bot-token: ${{{{ secrets.SLACK_BOT_TOKEN }}}}
      - name: Attached
        env:
          ATTACHED: ${{{{ steps.done.outputs.attached }}}}
          FILE_IDS: ${{{{ steps.done.outputs.file-ids }}}}
        run: echo "ATTACHED=$ATTACHED ids=$FILE_IDS"
      - id: discord
        uses: ./notify
        with:
          to: dingtalk, webhook, mattermost, discord, telegram, google_chat, email
          status: ${{{{ job.status }}}}
          locale: zh-CN
          dingtalk-webhook-url: ${{{{ secrets.DINGTALK_WEBHOOK_URL }}}}
          dingtalk-secret: ${{{{ secrets.DINGTALK_SECRET }}}}
          webhook-url: {env["CIBRIDGE_WEBHOOK_URL"]}
          webhook-secret: ${{{{ secrets.WEBHOOK_SECRET }}}}
          mattermost-webhook-url: ${{{{ secrets.MATTERMOST_WEBHOOK_URL }}}}
          discord-webhook-url: ${{{{ secrets.DISCORD_WEBHOOK_URL }}}}
          smtp-host: 127.0.0.1
          smtp-port: {mailbox.port}
          smtp-username: {USER}
          smtp-password: ${{{{ secrets.SMTP_PASSWORD }}}}
          smtp-from: CI <ci@example.com>
          smtp-to: ops@example.com
          telegram-bot-token: ${{{{ secrets.TELEGRAM_BOT_TOKEN }}}}
          google-chat-webhook-url: ${{{{ secrets.GOOGLE_CHAT_WEBHOOK_URL }}}}
      - uses: ./notify
        with:
          to: discord
          event: deploy
          status: ${{{{ job.status }}}}
          update: ${{{{ steps.discord.outputs.message-id }}}}
          discord-webhook-url: ${{{{ secrets.DISCORD_WEBHOOK_URL }}}}
      - id: mm
        uses: ./notify
        with:
          to: mattermost
          event: deploy
          status: running
          channel: {standins.MATTERMOST_CHANNELS["deployments"]}
          mattermost-token: ${{{{ secrets.MATTERMOST_TOKEN }}}}
          mattermost-url: {stand_ins.base}/mattermost
      - uses: ./notify
        with:
          to: mattermost
          event: deploy
          status: success
          update: ${{{{ steps.mm.outputs.message-id }}}}
          mattermost-token: ${{{{ secrets.MATTERMOST_TOKEN }}}}
          mattermost-url: {stand_ins.base}/mattermost
      - id: rejected
        continue-on-error: true
        uses: ./notify
        with:
          to: slack
          status: ${{{{ job.status }}}}
          channel: "#nope"
          slack-bot-token: ${{{{ secrets.SLACK_BOT_TOKEN }}}}
      - name: Outcome
        env:
          OUTCOME: ${{{{ steps.rejected.outcome }}}}
          OK: ${{{{ steps.rejected.outputs.ok }}}}
        run: echo "REJECTED_OUTCOME=$OUTCOME ok=$OK"
"""
    secrets = {
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "DINGTALK_WEBHOOK_URL": env["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": env["DINGTALK_SECRET"],
        "WEBHOOK_SECRET": env["CIBRIDGE_WEBHOOK_SECRET"],
        "MATTERMOST_WEBHOOK_URL": env["MATTERMOST_WEBHOOK_URL"],
        "MATTERMOST_TOKEN": standins.MATTERMOST_TOKEN,
        "DISCORD_WEBHOOK_URL": env["DISCORD_WEBHOOK_URL"],
        "SMTP_PASSWORD": PASSWORD,
        "TELEGRAM_BOT_TOKEN": env["TELEGRAM_BOT_TOKEN"],
        "GOOGLE_CHAT_WEBHOOK_URL": env["GOOGLE_CHAT_WEBHOOK_URL"],
    }
    run = run_act(tmp_path, workflow, event, secrets=secrets)
    assert run.code == 0, run.output
    slack = stand_ins.of("slack")
    called = [
        "upload" if "/upload/" in r.path else r.path.split("?")[0].rsplit("/", 1)[-1] for r in slack
    ]
    assert called == [
        "chat.postMessage",
        "conversations.history",  # the update reads back what the first message said
        "chat.update",
        "files.getUploadURLExternal",  # attach: into the thread of the message just updated
        "upload",
        "files.completeUploadExternal",
        "chat.postMessage",
    ]
    ts = json.loads(slack[0].answer)["ts"]
    assert slack[2].json["ts"] == ts and slack[2].json["channel"] == "C0DEPLOYS"
    assert slack[0].json["text"].startswith("🔄") and slack[2].json["text"].startswith("✅")
    assert slack[2].json["metadata"]["event_type"] == "cibridge_notify"
    [shared] = [m for m in stand_ins.behaviour.slack_messages.values() if m.get("thread_ts") == ts]
    assert [f["name"] for f in shared["files"]] == ["deploy.log"]
    [uploaded] = stand_ins.behaviour.slack_files.values()
    assert uploaded["data"] == b"deployed with ***\n"  # the token masked before it left
    assert "Authorization" not in slack[4].headers  # the token stays off the upload URL
    assert f"ATTACHED=1 ids={next(iter(stand_ins.behaviour.slack_files))}" in run.output
    assert json.loads(stand_ins.of("dingtalk")[0].answer)["errcode"] == 0
    assert stand_ins.of("webhook")[0].status == 200  # signature verified by the receiver
    # the hostile commit from the push payload arrived as data
    messages = [c["message"] for c in stand_ins.of("webhook")[0].json["commits"]]
    assert messages[0].startswith('Fix "quotes" and `ticks` {{ 7*7 }}\n::set-output name=pwned::1')
    # Discord: posted with its id as the step's output, then edited in place with it.
    posted, edited = stand_ins.of("discord")
    assert (posted.method, edited.method) == ("POST", "PATCH")
    assert edited.path.endswith("/messages/" + json.loads(posted.answer)["id"])
    assert posted.json["embeds"][0]["title"].startswith("✅ 构建通知")
    assert edited.json["embeds"][0]["title"].startswith("✅ Deployment") and edited.status == 200
    assert 'Fix "quotes" and \\`ticks\\` {{ 7\\*7 }}' in edited.json["embeds"][0]["description"]
    # Telegram and Google Chat: the same message, the hostile commit as text in each.
    [telegram] = stand_ins.of("telegram")
    shown = json.loads(telegram.answer)["result"]["text"]
    assert shown.startswith("✅ 构建通知") and 'Fix "quotes" and `ticks` {{ 7*7 }}' in shown
    [chat] = stand_ins.of("google_chat")
    assert chat.status == 200 and "%23" in chat.path.split("threadKey=")[1]  # repo#run id
    assert "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD" in chat.path
    assert 'Fix "quotes" and `ticks` {{ 7*7 }}' in json.dumps(
        chat.json, ensure_ascii=False
    ).replace('\\"', '"')
    assert "REJECTED_OUTCOME=failure ok=false" in run.output
    assert "channel_not_found" in run.output
    # Mattermost: the webhook, then a post through the REST API updated in place
    hook, created, _read_back, patched = stand_ins.of("mattermost")
    assert (hook.answer, created.status, patched.method) == (b"ok", 201, "PUT")
    assert 'Fix "quotes" and \\`ticks\\` {{ 7\\*7 }}' in hook.json["attachments"][0]["text"]
    post = json.loads(created.answer)
    assert patched.path.endswith(f"/posts/{post['id']}/patch")
    assert stand_ins.behaviour.mattermost_posts[post["id"]]["message"].startswith("✅ Deployment")
    # E-mail: both parts, in Chinese, with the hostile commit as text
    [mail] = mailbox.received
    assert mailbox.logins == [(USER, True)] and mail.recipients == ["ops@example.com"]
    parts = {p.get_content_type(): p.get_content() for p in mail.message.iter_parts()}  # type: ignore[attr-defined]
    assert "构建通知" in mail.message["Subject"]
    assert 'Fix "quotes" and `ticks` {{ 7*7 }}' in parts["text/plain"]
    assert "Fix &#34;quotes&#34;" in parts["text/html"]
    for secret in secrets.values():
        assert secret not in run.output.replace(f"::add-mask::{secret}", "")


def test_notify_after_a_failed_step_reports_the_job_status(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """job.status inside a composite action is the action's own (actions/runner#1682): the
    caller's `status: ${{ job.status }}` is what tells the truth, and without it the step
    refuses to guess."""
    workflow = f"""on: push
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      CIBRIDGE_WEBHOOK_URL: {stand_ins.env()["CIBRIDGE_WEBHOOK_URL"]}
    steps:
{COPY}      - name: Tests
        run: exit 3
      - id: guessed
        if: always()
        continue-on-error: true
        uses: ./notify
        with:
          to: webhook
      - if: always()
        uses: ./notify
        with:
          to: webhook
          status: ${{{{ job.status }}}}
      - if: always()
        env:
          OUTCOME: ${{{{ steps.guessed.outcome }}}}
        run: echo "GUESSED_OUTCOME=$OUTCOME"
"""
    run = run_act(tmp_path, workflow, {"ref": "refs/heads/main", "commits": []})
    assert run.code != 0  # the job failed, as it should
    received = stand_ins.of("webhook")
    assert len(received) == 1, run.output
    assert received[0].json["status"] == "failure"
    assert "GUESSED_OUTCOME=failure" in run.output
    assert "the job's status is not known" in run.output
    assert "status: ${{ job.status }}" in run.output


def test_try_the_actions_locally_runs_as_documented(tmp_path: Path) -> None:
    """docs/github-actions.md's commands, pasted into a shell in a project with the README's
    quick-start workflow (the action from this checkout instead of your-org/cibridge)."""
    import re
    import subprocess

    from tests.conftest import REPO, git
    from tests.e2e.harness import _path_env, require

    require("act")
    page = (REPO / "docs" / "github-actions.md").read_text(encoding="utf-8")
    section = page.split("## Try the actions locally", 1)[1]
    commands = re.search(r"```sh\n(.*?)```", section, re.S)
    assert commands, "docs/github-actions.md: Try the actions locally has no sh block"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"## Quick start: GitHub Actions.*?```yaml\n(.*?)```", readme, re.S)
    assert quick_start
    workflow = "on: push\n" + quick_start.group(1).replace(
        "      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0"
        "          # lets pull_request runs list their commits\n",
        COPY,
    ).replace("your-org/cibridge/notify@v1", "./notify").replace("make test", "true")
    assert "./notify" in workflow and "REPO_DIR" in workflow, workflow
    workdir = tmp_path / "project"
    (workdir / ".github" / "workflows").mkdir(parents=True)
    (workdir / ".github" / "workflows" / "ci.yml").write_text(workflow)
    git(workdir, "init", "-q", "-b", "main")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "try it")
    script = commands.group(1).replace("act push", f"act push --env REPO_DIR={REPO}")
    done = subprocess.run(
        ["bash", "-ec", script + "\nkill %1\n"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=_path_env(),
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "| Slack | ✅ | delivered |" in output and "| DingTalk | ✅ | delivered |" in output
    assert "Job succeeded" in output
