"""``cibridge standins`` as a real process: its printed variables reach live stand-ins."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from cibridge.core.errors import EXIT_OK, EXIT_USAGE


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cibridge", "standins", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_env(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    env: dict[str, str] = {}
    while "GITLAB_TOKEN" not in env:
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else "no output"
        name, _, value = line.rstrip("\n").partition("=")
        env[name] = shlex.split(value)[0]
    return env


def test_printed_urls_reach_the_stand_ins_and_sigterm_ends_cleanly(tmp_path: Path) -> None:
    env_file = tmp_path / "standins.env"
    process = _start("--env-file", str(env_file))
    try:
        env = _read_env(process)
        body = json.dumps({"text": "hello"}).encode()
        request = urllib.request.Request(
            env["SLACK_WEBHOOK_URL"], data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        for name in ("JIRA_BASE_URL", "JIRA_API_TOKEN", "GITHUB_API_URL", "SLACK_BOT_TOKEN"):
            assert env[name], name
        # The env file is unquoted NAME=value, as act --env-file and $GITHUB_ENV read it.
        written = dict(
            line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines()
        )
        assert written == env
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == EXIT_OK


def test_for_seconds_ends_by_itself() -> None:
    process = _start("--for", "0.2")
    assert process.wait(timeout=20) == EXIT_OK
    assert process.stdout is not None
    assert "DINGTALK_WEBHOOK_URL=" in process.stdout.read()


def test_bad_duration_is_a_usage_error_naming_the_option() -> None:
    process = _start("--for", "soon")
    assert process.wait(timeout=20) == EXIT_USAGE
    assert process.stderr is not None
    assert "--for" in process.stderr.read()


def test_env_file_in_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    process = _start("--for", "0.1", "--env-file", str(tmp_path / "nope" / "x.env"))
    assert process.wait(timeout=20) == EXIT_USAGE
    assert process.stderr is not None
    assert "does not exist" in process.stderr.read()
