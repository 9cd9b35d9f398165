"""WeCom through `cibridge notify`: markdown with mentions within the byte limit, errors."""

from __future__ import annotations

from pathlib import Path

from cibridge.demo.standins import StandIns
from tests.github_job import github_env


def test_wecom_markdown_with_mentions_and_byte_limit(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    when: always\n    users:\n      mona: {wecom: MonaLi}\n"
    )
    env = {**github_env(tmp_path), "WECOM_WEBHOOK_URL": stand_ins.env()["WECOM_WEBHOOK_URL"]}
    result = cli(
        "notify", "--status", "success", "--to", "wecom", "--set", "summary=" + "企" * 3000, env=env
    )
    assert result.code == 0, result.all
    content = stand_ins.of("wecom")[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.startswith("**✅ Build")


def test_wecom_mentions_appended(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {wecom: MonaLi}\n"
    )
    env = {**github_env(tmp_path), "WECOM_WEBHOOK_URL": stand_ins.env()["WECOM_WEBHOOK_URL"]}
    assert (
        cli("notify", "--status", "success", "--to", "wecom", "--status", "failure", env=env).code
        == 0
    )
    assert stand_ins.of("wecom")[0].json["markdown"]["content"].endswith("<@MonaLi>")


def test_wecom_bad_key(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {"WECOM_WEBHOOK_URL": f"{stand_ins.base}/wecom/cgi-bin/webhook/send?key=nope"}
    result = cli("notify", "--status", "success", "--to", "wecom", env=env)
    assert result.code == 1
    assert "errcode 93000" in result.err and "key is invalid" in result.err
