from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import run_process


def test_demo_delivers_to_every_stand_in_and_never_to_real_targets(
    httpserver: HTTPServer, repo: Path, tmp_path: Path
) -> None:
    (repo / ".cibridge.yml").write_text(
        f"integration_configs:\n  communication:\n    slack:\n      webhook_url: {httpserver.url_for('/real')}\n"
    )
    env = {"SLACK_WEBHOOK_URL": httpserver.url_for("/real-env"), "SLACK_BOT_TOKEN": "xoxb-real"}
    result = run_process("demo", env=env, cwd=repo)
    assert result.code == 0, result.err
    for label in (
        "Slack",
        "DingTalk",
        "Feishu",
        "WeCom",
        "Microsoft Teams",
        "webhook",
        "Discord",
        "Telegram",
        "Google Chat",
    ):
        assert f"{label}: delivered" in result.out
    assert result.out.count("Slack: delivered") == 3  # build, deploy running, deploy updated
    # build (webhook), deploy running and updated (REST API)
    assert result.out.count("Mattermost: delivered") == 3
    assert "mattermost /mattermost/api/v4/posts/" in result.out  # the update, shown at the end
    assert result.out.count("Discord: delivered") == 3  # the same, edited in place
    assert "discord ***/messages/" in result.out  # the edit; the webhook path is a secret
    # e-mail: a real SMTP server on loopback (aiosmtpd is a test dependency) received it
    assert "E-mail: delivered to 1 recipient" in result.out
    assert "The SMTP server on 127.0.0.1 received" in result.out
    assert "hostile" in result.out  # the repository's own latest commit went out
    assert "REJECTED" not in result.out
    assert httpserver.log == []


def test_demo_in_chinese(tmp_path: Path) -> None:
    result = run_process("demo", "--sample", "--locale", "zh-CN", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "构建通知" in result.out


def test_demo_reads_only_the_environment_it_is_given(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """One environment mapping flows down from the entry point: a real webhook URL and a
    proxy in the process environment are never used, whatever the mapping says."""
    from cibridge.cli.main import main

    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for("/process-env"))
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/proxy"))
    given = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TEAMS_WEBHOOK_URL": httpserver.url_for("/mapping"),
        "HTTP_PROXY": httpserver.url_for("/mapping-proxy"),
    }
    code = main(["demo", "--sample"], env=given)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Microsoft Teams: delivered" in out
    assert httpserver.log == []


def test_demo_never_follows_a_jira_cloud_id_or_other_service_settings(
    httpserver: HTTPServer,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """Found by review: JIRA_CLOUD_ID survived the demo's old prefix list, so a machine that
    had it set sent the demo's Jira chapter to https://api.atlassian.com/ex/jira/<id>. The
    filter now derives from the table of variables (config/variables.py)."""
    from cibridge.cli.main import main

    given = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "JIRA_CLOUD_ID": "11111111-2222-3333-4444-555555555555",
        "JIRA_API_VERSION": "2",
        "PROMETHEUS_URL": httpserver.url_for("/prometheus"),
        "PUSHGATEWAY_URL": httpserver.url_for("/pushgateway"),
        "GITHUB_API_URL": httpserver.url_for("/github"),
    }
    code = main(["demo", "--sample"], env=given)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "api.atlassian.com" not in out
    assert httpserver.log == []


def test_demo_explains_its_outputs_shows_its_configuration_and_ends_with_next_steps(
    tmp_path: Path,
) -> None:
    import yaml

    from cibridge.demo.run import NEXT_STEPS

    result = run_process("demo", "--sample", cwd=tmp_path)
    assert result.code == 0, result.err
    out = result.out
    assert "ok=true          every provider delivered" in out
    assert "message-id=...   the Slack message's ts" in out
    shown = out.split("As .cibridge.yml (the gate's ports are this run's):\n", 1)[1]
    used = shown.split("\n\n", 1)[0]
    assert {"deployment_triggers", "pipelines", "post_deployment_validation"} <= set(
        yaml.safe_load(used)
    )
    (tmp_path / "used.yml").write_text(used, encoding="utf-8")
    checked = run_process("--config", "used.yml", "config", "check", cwd=tmp_path)
    assert checked.code == 0, checked.all
    assert "SLACK_BOT_TOKEN" in shown and "JIRA_BASE_URL" in shown
    assert out.rstrip().endswith("\n".join(NEXT_STEPS))
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for command in (
        "cibridge --dry-run notify --to slack --status success",
        "cibridge config check",
        "cibridge standins --env-file .standins.env --for 600 &",
    ):
        assert command in readme and command in out, command
