from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import FIXTURES


def github_env(tmp_path: Path, payload: str = "github_push.json", **extra: str) -> dict[str, str]:
    """A GitHub Actions job environment for a recorded push event."""
    if payload.endswith(".gz"):
        target = tmp_path / "event.json"
        with gzip.open(FIXTURES / payload, "rt") as handle:
            target.write_text(handle.read())
    else:
        target = FIXTURES / payload
    event = json.loads(target.read_text())
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_RUN_ID": "987",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(target),
        "GITHUB_SHA": event["after"],
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_ACTOR": "mona",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_JOB": "build",
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "github_summary"),
        **extra,
    }


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
