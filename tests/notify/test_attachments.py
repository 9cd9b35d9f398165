"""``notify --attach`` end to end against the Slack stand-in: the files land in the thread of
the message just posted (or of --thread), a file's problem is that file's and never costs
the message, and targets that cannot take files say so."""

from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.github_job import github_env, outputs

SLACK = ["notify", "--status", "success", "--to", "slack", "--channel", "#deployments"]


def _env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        **stand_ins.env(),
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "CIBRIDGE_HTTP_RETRIES": "0",
    }


def _thread(stand_ins: StandIns, ts: str) -> list[str]:
    """The names of the files shared in the thread of ``ts``, in order."""
    return [
        f["name"]
        for key, message in stand_ins.behaviour.slack_messages.items()
        if message.get("thread_ts") == ts and key.startswith("C0DEPLOYS/")
        for f in message.get("files", [])
    ]


def _posted(stand_ins: StandIns) -> str:
    """The ts chat.postMessage answered."""
    answer = next(r.answer for r in stand_ins.of("slack") if r.path.endswith("/chat.postMessage"))
    return str(json.loads(answer)["ts"])


def test_files_land_in_the_thread_of_the_message_just_posted(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / "cibridge-gate.json").write_text('{"verdict": "pass"}')
    (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    argv = [*SLACK, "--attach", "cibridge-gate.json", "--attach", "chart.png"]
    result = cli(*argv, env=_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    ts = _posted(stand_ins)
    assert _thread(stand_ins, ts) == ["cibridge-gate.json", "chart.png"]
    found = outputs(tmp_path)
    assert found["attached"] == "2"
    ids = found["file-ids"].split(",")
    assert [stand_ins.behaviour.slack_files[i]["name"] for i in ids] == [
        "cibridge-gate.json",
        "chart.png",
    ]
    assert "Slack: attached cibridge-gate.json" in result.out
    summary = (tmp_path / "github_summary").read_text()
    assert "| Slack 📎 chart.png | ✅ | attached chart.png |" in summary


def test_with_thread_the_files_go_under_the_parent_not_the_reply(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    parent = "1700000000.000001"
    stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{parent}"] = {"text": "release 1.2.3"}
    (tmp_path / "notes.txt").write_text("release notes")
    argv = [*SLACK, "--thread", parent, "--attach", "notes.txt"]
    result = cli(*argv, env=_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    assert _thread(stand_ins, parent) == ["notes.txt"]


def test_a_bad_path_is_exit_2_and_costs_neither_the_message_nor_the_other_files(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / ".cibridge.yml").write_text("notify:\n  attach_max_bytes: 10\n")
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "big.log").write_text("x" * 11)
    argv = [*SLACK, "--attach", "missing.json", "--attach", "big.log", "--attach", "ok.txt"]
    result = cli(*argv, env=_env(stand_ins, tmp_path))
    assert result.code == 2, result.all
    assert "--attach missing.json: no such file" in result.all
    assert (
        "--attach big.log: is 11 bytes, over the cap of 10 (notify.attach_max_bytes)" in result.all
    )
    assert _thread(stand_ins, _posted(stand_ins)) == ["ok.txt"]
    assert outputs(tmp_path)["ok"] == "true"  # the message itself was delivered
    assert outputs(tmp_path)["attached"] == "1"


def test_a_text_file_leaves_masked_with_its_masked_length(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / "deploy.log").write_text(f"using {standins.SLACK_TOKEN}\n")
    result = cli(*SLACK, "--attach", "deploy.log", env=_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    [stored] = stand_ins.behaviour.slack_files.values()
    assert stored["data"] == b"using ***\n" and stored["length"] == len(b"using ***\n")


def test_slack_refusing_a_file_is_exit_1_and_fail_on_error_false_makes_it_a_warning(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    stand_ins.behaviour.slack_files_scope = False
    (tmp_path / "a.txt").write_text("a")
    result = cli(*SLACK, "--attach", "a.txt", env=_env(stand_ins, tmp_path))
    assert result.code == 1
    assert "missing_scope (needed: files:write)" in result.all
    assert "add the files:write scope" in result.all
    assert outputs(tmp_path)["ok"] == "true" and outputs(tmp_path)["attached"] == "0"
    lenient = cli(
        *SLACK, "--attach", "a.txt", "--fail-on-error", "false", env=_env(stand_ins, tmp_path)
    )
    assert lenient.code == 0 and "::warning" in lenient.out


def test_a_slack_webhook_cannot_take_files_other_providers_warn(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("a")
    env = {**github_env(tmp_path), **stand_ins.env()}  # the Slack webhook, no bot token
    hook = cli("notify", "--status", "success", "--to", "slack", "--attach", "a.txt", env=env)
    assert hook.code == 2
    assert "--attach needs the Web API, and only a webhook is configured" in hook.all
    assert "set SLACK_BOT_TOKEN" in hook.all
    assert [r.path for r in stand_ins.of("slack")] == [standins.SLACK_HOOK]  # still sent
    other = cli("notify", "--status", "success", "--to", "wecom", "--attach", "a.txt", env=env)
    assert other.code == 0, other.all
    assert "WeCom: --attach goes to Slack with a bot token only; a.txt not attached" in other.out
    assert "::warning" in other.out


def test_a_dry_run_shows_the_three_requests_with_names_and_lengths(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / "r.json").write_text('{"a": 1}')
    result = cli("--dry-run", *SLACK, "--attach", "r.json", env=_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    assert stand_ins.received == []
    assert "Slack: attaching r.json (dry run, not sent)" in result.out
    assert '"filename": "r.json"' in result.out and '"length": "8"' in result.out
    assert "files.completeUploadExternal" in result.out
    assert "<the ts chat.postMessage answers>" in result.out
    shown = [line for line in result.out.splitlines() if not line.startswith("::add-mask::")]
    assert standins.SLACK_TOKEN not in "\n".join(shown)
    assert '{"a": 1}' not in "\n".join(shown)  # the bytes stay home


def test_the_cap_in_the_config_is_checked_like_every_setting(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    (tmp_path / ".cibridge.yml").write_text("notify:\n  attach_max_bytes: 0\n")
    result = cli("config", "check", env=_env(stand_ins, tmp_path))
    assert result.code == 2
    assert ".cibridge.yml:2" in result.all and "attach_max_bytes" in result.all


def test_with_release_the_files_land_in_the_releases_thread(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    """--release places the message in the release's thread; its files follow it there,
    under the release's parent (never under the reply)."""
    (tmp_path / "notes.txt").write_text("what shipped")
    env = {
        **_env(stand_ins, tmp_path),
        "CIBRIDGE_RELEASE_CHANNEL": "#deployments",
        "CIBRIDGE_REPOSITORY": "acme/shop",
    }
    argv = ["notify", "--to", "slack", "--status", "success", "--release", "v1.4.0"]
    result = cli(*argv, "--attach", "notes.txt", env=env)
    assert result.code == 0, result.all
    messages = stand_ins.behaviour.slack_messages
    [parent] = [
        key.split("/")[1]
        for key, m in messages.items()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
    ]
    assert _thread(stand_ins, parent) == ["notes.txt"]
