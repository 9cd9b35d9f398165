"""Microsoft Teams through `cibridge notify`: the Adaptive Card, mentions, errors."""

from __future__ import annotations

from pathlib import Path

from cibridge.demo.standins import StandIns
from tests.github_job import github_env


def test_teams_adaptive_card(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **github_env(tmp_path, "github_push_2048.json.gz"),
        "TEAMS_WEBHOOK_URL": stand_ins.env()["TEAMS_WEBHOOK_URL"],
    }
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "teams",
        "--event",
        "deploy",
        "--set",
        "environment=prod",
        env=env,
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("teams")
    assert received.status == 202
    assert len(received.raw) <= 28 * 1024
    card = received.json["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_teams_bad_signature(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {"TEAMS_WEBHOOK_URL": f"{stand_ins.base}/teams/workflows/run?sig=wrong"}
    result = cli("notify", "--status", "success", "--to", "teams", env=env)
    assert result.code == 1
    assert "HTTP 401" in result.err and "sig=" in result.err


def test_teams_mentions_on_failure(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {teams: mona@example.com}\n"
    )
    env = {**github_env(tmp_path), "TEAMS_WEBHOOK_URL": stand_ins.env()["TEAMS_WEBHOOK_URL"]}
    assert (
        cli("notify", "--status", "success", "--to", "teams", "--status", "failure", env=env).code
        == 0
    )
    [received] = stand_ins.of("teams")
    assert received.status == 202
    card = received.json["attachments"][0]["content"]
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>mona@example.com</at>",
            "mentioned": {"id": "mona@example.com", "name": "mona@example.com"},
        }
    ]
    assert card["body"][-1]["text"] == "cc <at>mona@example.com</at>"
