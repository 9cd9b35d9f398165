"""A GitHub Actions job as the tests see it: the variables a runner sets, the event file,
the outputs it reads back, and which printed lines it would obey as workflow commands."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import FIXTURES


def event_file(tmp_path: Path, payload: str) -> Path:
    """A fixture payload as a file (``.gz`` fixtures are unpacked into ``tmp_path``)."""
    if not payload.endswith(".gz"):
        return FIXTURES / payload
    target = tmp_path / "event.json"
    with gzip.open(FIXTURES / payload, "rt") as handle:
        target.write_text(handle.read())
    return target


def job_env(event: str, payload: Path, **extra: str) -> dict[str, str]:
    """The variables a GitHub Actions runner sets for a job of ``event``."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_RUN_ID": "987",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(payload),
        "GITHUB_SHA": "a" * 40,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_ACTOR": "mona",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_JOB": "build",
        **extra,
    }


def github_env(tmp_path: Path, payload: str = "github_push.json", **extra: str) -> dict[str, str]:
    """A push job whose outputs and step summary go to files in ``tmp_path``."""
    target = event_file(tmp_path, payload)
    return job_env(
        "push",
        target,
        GITHUB_SHA=json.loads(target.read_text())["after"],
        GITHUB_OUTPUT=str(tmp_path / "github_output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "github_summary"),
        **extra,
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file written with heredoc delimiters."""
    found: dict[str, str] = {}
    lines = (tmp_path / "github_output").read_text().splitlines()
    index = 0
    while index < len(lines):
        name, delimiter = lines[index].split("<<", 1)
        end = lines.index(delimiter, index + 1)
        found[name] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return found


def commands_obeyed(output: str) -> list[str]:
    """The workflow commands a runner would obey in ``output``: a line starting "::" (leading
    blanks allowed), or holding the older "##[command]" form anywhere, outside a
    ::stop-commands:: block."""
    obeyed, stop = [], ""
    for line in output.splitlines():
        text = line.strip()
        if stop:
            stop = "" if text == f"::{stop}::" else stop
        elif text.startswith("::stop-commands::"):
            stop = text.removeprefix("::stop-commands::")
        elif text.startswith("::") or "##[" in text:
            obeyed.append(text)
    return obeyed
