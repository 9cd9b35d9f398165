"""``--release``: one Slack thread per release, across separate processes, found again by
message metadata alone (no id passed between them)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.conftest import run_process


def _env(stand_ins: StandIns, **extra: str) -> dict[str, str]:
    return {
        **stand_ins.env(),
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "CIBRIDGE_RELEASE_CHANNEL": "#deployments",
        "CIBRIDGE_REPOSITORY": "acme/shop",
        **extra,
    }


def _thread(stand_ins: StandIns, key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    messages = stand_ins.behaviour.slack_messages
    parents = [
        (k.split("/")[1], m)
        for k, m in messages.items()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
        and m["metadata"]["event_payload"].get("release") == key
    ]
    assert len(parents) == 1, parents
    ts, parent = parents[0]
    replies = [m for m in messages.values() if m.get("thread_ts") == ts]
    return parent, replies


def _gate_config(tmp_path: Path, httpserver: HTTPServer) -> Path:
    httpserver.expect_request("/health").respond_with_json({"status": "DOWN"})
    config = tmp_path / "gate.yml"
    config.write_text(
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        f"      - {{url: '{httpserver.url_for('/health')}', json_path: status, json_value: UP}}\n"
    )
    return config


def test_a_release_across_four_processes_is_one_parent_with_its_replies(
    stand_ins: StandIns, httpserver: HTTPServer, tmp_path: Path
) -> None:
    env = _env(stand_ins)
    gate = _gate_config(tmp_path, httpserver)
    steps = [
        ("notify", "--to", "slack", "--status", "success", "--release", "v1.4.0"),
        (
            "jira",
            "--issues-from-text",
            "PROJ-1",
            "--transition",
            "Done",
            "--resolution",
            "Done",
            "--release",
            "v1.4.0",
        ),
        (
            "notify",
            "--to",
            "slack",
            "--event",
            "deploy",
            "--status",
            "success",
            "--set",
            "environment=production",
            "--release",
            "v1.4.0",
        ),
        (
            "--config",
            str(gate),
            "gate",
            "--report",
            str(tmp_path / "gate.json"),
            "--release",
            "v1.4.0",
        ),
    ]
    codes = [run_process(*argv, env=env, cwd=tmp_path) for argv in steps]
    assert [c.code for c in codes] == [0, 0, 0, 1], [c.all for c in codes]
    assert "posted the parent" in codes[0].out and "found the parent" in codes[3].out
    parent, replies = _thread(stand_ins, "v1.4.0")
    assert parent["text"].startswith(
        "Release v1.4.0: ✅ build ✅ jira ✅ deploy production ❌ gate"
    )
    stages = [r["metadata"]["event_payload"]["release_stage"] for r in replies]
    assert stages == ["build", "jira", "deploy production", "gate"]
    gate_reply = replies[-1]
    assert gate_reply["reply_broadcast"] is True  # a failure is shown in the channel too
    assert "health" in str(gate_reply["blocks"]) or "GET" in str(gate_reply["blocks"])
    assert not any(r.get("reply_broadcast") for r in replies[:-1])


def test_two_releases_are_two_threads(stand_ins: StandIns, tmp_path: Path) -> None:
    env = _env(stand_ins)
    for key in ("v1", "v2", "v1"):
        done = run_process(
            "notify",
            "--to",
            "slack",
            "--status",
            "success",
            "--release",
            key,
            env=env,
            cwd=tmp_path,
        )
        assert done.code == 0, done.all
    assert len(_thread(stand_ins, "v1")[1]) == 2 and len(_thread(stand_ins, "v2")[1]) == 1


def test_two_processes_racing_on_the_first_message_end_with_one_parent(
    stand_ins: StandIns, tmp_path: Path
) -> None:
    # Both look for the parent before either has posted one.
    stand_ins.behaviour.slack_history_barrier = threading.Barrier(2)
    env = _env(stand_ins)
    argv = [sys.executable, "-m", "cibridge", "notify", "--to", "slack", "--status", "success"]
    racers = [
        subprocess.Popen(
            [*argv, "--release", "v3", "--release-stage", f"job{n}"],
            env={**__import__("os").environ, **env},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in (1, 2)
    ]
    outs = [r.communicate(timeout=120)[0].decode() for r in racers]
    assert [r.returncode for r in racers] == [0, 0], outs
    _, replies = _thread(stand_ins, "v3")
    assert sorted(r["metadata"]["event_payload"]["release_stage"] for r in replies) == [
        "job1",
        "job2",
    ]
    assert sum("found the parent" in out for out in outs) == 1  # the loser deleted its copy


def test_the_outputs_name_the_thread(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    output = tmp_path / "out"
    output.touch()
    env = _env(
        stand_ins, GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output), GITHUB_REPOSITORY="acme/shop"
    )
    result = cli("notify", "--to", "slack", "--status", "success", "--release", "v5", env=env)
    assert result.code == 0, result.all
    written = output.read_text()
    assert "release-ts" in written and "C0DEPLOYS" in written


def test_release_without_a_key_uses_the_tag(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = _env(stand_ins, CIBRIDGE_VERSION="2.0.0")
    result = cli("notify", "--to", "slack", "--status", "success", "--release", env=env)
    assert result.code == 0, result.all
    assert "@2.0.0: posted the parent" in result.out  # the repository, then the version


def test_a_dry_run_reads_and_sends_nothing(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = _env(stand_ins)
    result = cli(
        "--dry-run", "notify", "--to", "slack", "--status", "success", "--release", "v1", env=env
    )
    assert result.code == 0, result.all
    assert "release v1: would find its parent message" in result.out
    assert stand_ins.of("slack") == []


def test_without_a_bot_token_the_command_runs_and_the_release_is_exit_2(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in _env(stand_ins).items() if k != "SLACK_BOT_TOKEN"}
    result = cli(
        "jira",
        "--issues-from-text",
        "PROJ-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        "--release",
        "v1",
        env=env,
    )
    assert result.code == 2
    assert "needs Slack's Web API" in result.err and "SLACK_BOT_TOKEN" in result.err
    assert "transitioned=1" in result.out  # the Jira work itself was done


def test_an_unreachable_slack_is_a_warning_unless_the_config_says_fail(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = _env(stand_ins, SLACK_API_URL=f"http://127.0.0.1:{port}/api", CIBRIDGE_HTTP_RETRIES="0")
    argv = (
        "jira",
        "--issues-from-text",
        "PROJ-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        "--release",
        "v1",
    )
    warned = cli(*argv, env=env)
    assert warned.code == 0, warned.all
    assert "release v1: the thread was not updated" in warned.all
    strict = tmp_path / "strict.yml"
    strict.write_text("release:\n  fail_on_error: true\n")
    failed = cli("--config", str(strict), *argv, env=env)
    assert failed.code == 1 and "release v1:" in failed.err


def test_notify_to_another_provider_still_reports_in_the_thread(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--to", "dingtalk", "--status", "failure", "--release", "v7", env=_env(stand_ins)
    )
    assert result.code == 0, result.all
    parent, replies = _thread(stand_ins, "v7")
    assert [r["metadata"]["event_type"] for r in replies] == ["cibridge_release_stage"]
    assert parent["text"].startswith("Release v7: ❌ build")


@pytest.mark.parametrize("command", ["boards", "trigger"])
def test_every_release_command_takes_the_option(command: str) -> None:
    result = run_process(command, "--help")
    assert "--release [KEY]" in result.out and "--release-stage" in result.out


def test_only_slacks_message_goes_into_the_release_thread(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    argv = ("notify", "--to", "slack", "--to", "discord", "--status", "success")
    result = cli(*argv, "--release", "v8", env=_env(stand_ins))
    assert result.code == 0, result.all
    [discord] = stand_ins.of("discord")
    assert "thread_id" not in discord.path  # a Slack ts is no Discord thread
    _, replies = _thread(stand_ins, "v8")
    assert [r["metadata"]["event_type"] for r in replies] == ["cibridge_notify"]


def test_the_log_says_how_many_messages_were_read_to_find_the_parent(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    argv = ("notify", "--to", "slack", "--status", "success", "--release", "v9")
    cli(*argv, env=_env(stand_ins))
    cli(
        "notify",
        "--to",
        "slack",
        "--status",
        "success",
        "--channel",
        "C0DEPLOYS",
        env=_env(stand_ins),
    )
    again = cli(*argv, env=_env(stand_ins))
    # The unrelated message and the parent; the thread's reply is not in the history.
    assert "(read 2 messages of its history)" in again.out, again.out
