from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

from conftest import run_process


def test_demo_delivers_to_every_stand_in_and_never_to_real_targets(
    httpserver: HTTPServer, repo: Path, tmp_path: Path
) -> None:
    (repo / ".cibridge.yml").write_text(
        f"integration_configs:\n  communication:\n    slack:\n      webhook_url: {httpserver.url_for('/real')}\n"
    )
    env = {"SLACK_WEBHOOK_URL": httpserver.url_for("/real-env"), "SLACK_BOT_TOKEN": "xoxb-real"}
    result = run_process("demo", env=env, cwd=repo)
    assert result.code == 0, result.err
    for label in ("Slack", "DingTalk", "Feishu", "WeCom", "Microsoft Teams", "webhook"):
        assert f"{label}: delivered" in result.out
    assert result.out.count("Slack: delivered") == 3  # build, deploy running, deploy updated
    assert "hostile" in result.out  # the repository's own latest commit went out
    assert "REJECTED" not in result.out
    assert httpserver.log == []


def test_demo_in_chinese(tmp_path: Path) -> None:
    result = run_process("demo", "--sample", "--locale", "zh-CN", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "构建通知" in result.out
