"""`cibridge render`: built-in and repository templates, --sample, --set, -o, and hostile
values fenced on GitHub."""

from __future__ import annotations

import json
from pathlib import Path

from tests.render.test_engine import HOSTILE


def test_repository_override_wins_and_can_extend_builtin(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    override = tmp_path / ".cibridge" / "templates" / "slack"
    override.mkdir(parents=True)
    (override / "build.yml.j2").write_text(
        '{% extends "slack/_layout.yml.j2" %}{% block title %}Custom {{ repository }}{% endblock %}'
    )
    result = cli("render", "--sample", "slack/build.yml.j2")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["attachments"][0]["blocks"][0]["text"]["text"] == "Custom acme/checkout"
    listed = cli("render", "--list").out
    assert ".cibridge/templates" in next(
        line for line in listed.splitlines() if line.startswith("slack/build.yml.j2")
    )


def test_every_builtin_template_renders_for_every_event(cli) -> None:  # type: ignore[no-untyped-def]
    for provider in ("slack", "dingtalk", "feishu", "wecom", "teams", "webhook"):
        for event in ("build", "deploy", "alert"):
            for locale in ("en", "zh-CN"):
                result = cli(
                    "render",
                    "--sample",
                    "--event",
                    event,
                    "--locale",
                    locale,
                    "--set",
                    "alert_name=HighErrorRate",
                    "--set",
                    "severity=critical",
                    f"{provider}/{event}.yml.j2",
                )
                assert result.code == 0, (provider, event, result.err)
                assert json.loads(result.out)


def test_chinese_labels(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("render", "--sample", "--locale", "zh-CN", "dingtalk/build.yml.j2").out)
    assert "构建通知" in data["markdown"]["text"]
    assert "触发者" in data["markdown"]["text"]


def test_render_writes_output_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.json"
    result = cli(
        "render", "--sample", "slack/deploy.yml.j2", "--event", "deploy", "-o", str(target)
    )
    assert result.code == 0
    assert json.loads(target.read_text())["attachments"][0]["color"] == "#2EB67D"


def test_hostile_commit_is_fenced_on_github(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "t.txt.j2").write_text("{{ note }}")
    result = cli("render", "t.txt.j2", "--set", f"note={HOSTILE}", env={"GITHUB_ACTIONS": "true"})
    lines = result.out.splitlines()
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    assert "::set-output name=pwned::1" in lines
    assert lines.index("::set-output name=pwned::1") < lines.index(f"::{token}::")
