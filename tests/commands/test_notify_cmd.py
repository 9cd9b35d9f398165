from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo.standins import StandIns
from tests.notify.helpers import github_env, outputs

ALL = ["slack", "dingtalk", "feishu", "wecom", "teams", "webhook"]


def _to(*providers: str) -> list[str]:
    return [arg for name in providers for arg in ("--to", name)]


def test_every_provider_in_one_step(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--status", "success", *_to(*ALL), env={**github_env(tmp_path), **stand_ins.env()}
    )
    assert result.code == 0, result.all
    assert sorted({r.service for r in stand_ins.received}) == sorted(ALL)
    assert all(r.status < 300 for r in stand_ins.received)
    assert outputs(tmp_path)["ok"] == "true"


def test_one_failing_target_does_not_stop_the_others(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **stand_ins.env(), "DINGTALK_SECRET": "SECwrong"}
    result = cli("notify", "--status", "success", *_to("dingtalk", "slack", "feishu"), env=env)
    assert result.code == 1
    assert {r.service for r in stand_ins.received} == {"dingtalk", "slack", "feishu"}
    assert "DingTalk rejected the message: errcode 310000" in result.out
    assert outputs(tmp_path)["ok"] == "false"
    summary = (tmp_path / "github_summary").read_text()
    assert "| DingTalk | ❌ |" in summary and "| Slack | ✅ | delivered |" in summary


def test_missing_configuration_for_one_target_is_exit_2_others_still_sent(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    env = {"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    result = cli("notify", "--status", "success", *_to("teams", "slack"), env=env)
    assert result.code == 2
    assert "Teams: no webhook URL is configured" in result.err
    assert "TEAMS_WEBHOOK_URL" in result.err
    assert [r.service for r in stand_ins.received] == ["slack"]


def test_no_target(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify")
    assert result.code == 2
    assert "no provider to notify" in result.err


def test_targets_from_config(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text("notify:\n  to: [slack, wecom]\n")
    result = cli("notify", "--status", "success", env=stand_ins.env())
    assert result.code == 0, result.all
    assert [r.service for r in stand_ins.received] == ["slack", "wecom"]


def test_disabled_provider_is_skipped(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    slack:\n      enabled: false\n"
    )
    result = cli("notify", "--status", "success", "--to", "slack", env=stand_ins.env())
    assert result.code == 0
    assert "disabled in the config" in result.out
    assert stand_ins.received == []


def test_status_from_gitlab_job_status_and_dotenv(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **stand_ins.env(),
        "GITLAB_CI": "true",
        "CI_JOB_STATUS": "failed",
        "CI_PROJECT_PATH": "acme/checkout",
        "CIBRIDGE_DOTENV": str(tmp_path / "out.env"),
        "SLACK_BOT_TOKEN": "xoxb-standin-token",
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
    }
    result = cli("notify", "--to", "slack", "--channel", "#deployments", env=env)
    assert result.code == 0, result.all
    assert stand_ins.of("slack")[0].json["text"].startswith("❌")
    dotenv = (tmp_path / "out.env").read_text().splitlines()
    assert dotenv[0] == "ok=true"
    assert dotenv[1].startswith("message_id=") and dotenv[2] == "channel_id=C0DEPLOYS"


def test_invalid_status(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "slack", "--status", "meh")
    assert result.code == 2
    assert "status 'meh' is not one of" in result.err


def test_template_override_per_provider(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    custom = tmp_path / "mine.yml.j2"
    custom.write_text(
        "text: \"Deployed {{ repository }} by {{ actor }}: {{ commits[0].title if commits else '-' }}\"\n"
    )
    env = {**github_env(tmp_path), **stand_ins.env()}
    result = cli(
        "notify",
        "--status",
        "success",
        *_to("slack", "wecom"),
        "--template",
        f"slack={custom}",
        env=env,
    )
    assert result.code == 0, result.all
    assert stand_ins.of("slack")[0].json == {
        "text": 'Deployed acme/checkout by mona: Fix "quotes" and `ticks` {{ 7*7 }}'
    }
    assert "markdown" in stand_ins.of("wecom")[0].json


def test_repository_template_directory_overrides_builtin(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / ".cibridge" / "templates" / "dingtalk"
    folder.mkdir(parents=True)
    (folder / "deploy.yml.j2").write_text(
        'msgtype: text\ntext:\n  content: "{{ t.deploy }} {{ environment }} {{ message.status_text }}"\n'
    )
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        "--event",
        "deploy",
        "--locale",
        "zh-CN",
        "--set",
        "environment=生产",
        env=stand_ins.env(),
    )
    assert result.code == 0, result.all
    assert stand_ins.of("dingtalk")[0].json["text"]["content"] == "部署通知 生产 成功"


def test_broken_template_is_exit_2_with_place(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yml.j2"
    broken.write_text("text: ok\nmore: {{ missing_value }}\n")
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--template",
        str(broken),
        env=stand_ins.env(),
    )
    assert result.code == 2
    assert "broken.yml.j2:2: 'missing_value' is undefined" in result.err
    assert stand_ins.received == []


def test_unreachable_provider_is_exit_1(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "wecom",
        env={"WECOM_WEBHOOK_URL": "http://127.0.0.1:9/cgi-bin/webhook/send?key=abcdefgh"},
    )
    assert result.code == 1
    assert "WeCom: cannot reach http://127.0.0.1:9: [Errno 111] Connection refused" in result.err
    assert "abcdefgh" not in result.all


def test_dry_run_prints_every_target(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--status", "success", "--dry-run", *_to("slack", "dingtalk"), env=stand_ins.env()
    )
    assert result.code == 0
    assert stand_ins.received == []
    assert result.out.count('"provider":') == 2
    assert "(webhook address redacted)" in result.out
    body = result.out.split("── Slack: request (dry run, not sent)\n", 1)[1]
    assert json.loads(body[: body.index("\n}\n") + 2])["provider"] == "Slack"


def test_a_provider_timeout_reads_like_the_gates_durations(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # "1m30s" was "not a duration" here while every gate duration took it.
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    wecom:\n      timeout: 1m30s\n"
    )
    result = cli("notify", "--status", "success", "--to", "wecom", env=stand_ins.env())
    assert result.code == 0, result.all


def test_provider_timeout_from_config(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        (tmp_path / ".cibridge.yml").write_text(
            "integration_configs:\n  communication:\n    wecom:\n      timeout: 500ms\n"
        )
        env = {
            "WECOM_WEBHOOK_URL": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k",
            "CIBRIDGE_HTTP_RETRIES": "0",
        }
        result = cli("notify", "--status", "success", "--to", "wecom", env=env)
    assert result.code == 1
    assert "WeCom: POST http://127.0.0.1:" in result.err and "timed out after 0.5s" in result.err


def test_a_dry_run_hides_every_credential_header() -> None:
    # The preview hid Authorization and X-Api-Key only; the transport and the config count
    # PRIVATE-TOKEN and signature headers as credentials too.
    from cibridge.notify.providers import Delivery
    from cibridge.notify.service import preview

    headers = {
        "Authorization": "Bearer xoxb-1",
        "X-Api-Key": "k-1",
        "PRIVATE-TOKEN": "glpat-1",
        "X-Cibridge-Signature-256": "sha256=ab",
        "Content-Type": "application/json",
    }
    shown = preview("Webhook", Delivery("POST", "https://h/x", {}, headers))["headers"]
    assert shown == {**dict.fromkeys(list(headers)[:4], "***"), "Content-Type": "application/json"}
