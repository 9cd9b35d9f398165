"""The stand-ins' environment and its two renderings."""

from __future__ import annotations

import shlex
import threading
from pathlib import Path

from cibridge.config import variables
from cibridge.demo import serve, standins


def test_every_name_is_a_row_of_the_variables_table() -> None:
    with standins.StandIns() as stand_ins:
        env = serve.environment(stand_ins)
    known = {v.name for v in variables.VARIABLES}
    assert set(env) <= known, set(env) - known
    assert env["SLACK_BOT_TOKEN"] == standins.SLACK_TOKEN


def test_quoted_lines_survive_the_shell_and_bare_lines_stay_bare() -> None:
    env = {"A": "http://h/x?y=1&z=2", "B": "plain"}
    quoted = serve.lines(env, quote=True)
    parsed = dict(shlex.split(line)[0].split("=", 1) for line in quoted.splitlines())
    assert parsed == env
    assert serve.lines(env, quote=False) == "A=http://h/x?y=1&z=2\nB=plain\n"


def test_serve_writes_the_env_file_and_stops_when_told(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    printed: list[str] = []
    serve.serve(printed.append, seconds=None, env_file=tmp_path / "e.env", stop=stop)
    assert "JIRA_BASE_URL=" in printed[0]
    assert "JIRA_BASE_URL=http://127.0.0.1:" in (tmp_path / "e.env").read_text()
