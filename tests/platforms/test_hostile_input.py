"""Event payloads and variables of the wrong shape degrade to a note naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.github_job import job_env

from cibridge.context.platforms.github import github_context
from cibridge.context.platforms.gitlab import gitlab_context


def _context(tmp_path: Path, event: str, payload: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return github_context(job_env(event, path), str(tmp_path))


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("push", {"commits": "abc"}, "`commits` is str, not a list"),
        ("push", {"commits": [1, {"id": "a" * 40, "message": "ok"}]}, "`commits[0]` is int"),
        (
            "push",
            {"commits": [{"id": "a", "author": "mona"}]},
            "`commits[0].author` is str, not an object",
        ),
        (
            "pull_request",
            {"pull_request": {"number": "abc"}},
            "`pull_request.number` is str, not a number",
        ),
        ("pull_request", {"pull_request": "abc"}, "`pull_request` is str, not an object"),
        ("release", {"release": {"tag_name": ["v1"]}}, "`release.tag_name` is list"),
    ],
)
def test_wrong_shapes_are_notes_not_crashes(
    tmp_path: Path, event: str, payload: object, field: str
) -> None:
    context = _context(tmp_path, event, payload)
    assert any(field in note for note in context.notes), context.notes


def test_null_head_and_good_commits_survive(tmp_path: Path) -> None:
    payload = {
        "pull_request": {"number": 7, "title": "t", "head": None, "base": {"ref": "main"}},
    }
    context = _context(tmp_path, "pull_request", payload)
    assert context.pull_request is not None and context.pull_request.number == 7
    push = _context(tmp_path, "push", {"commits": [{"id": "b" * 40, "message": "PROJ-1 x"}, 5]})
    assert [c.title for c in push.commits] == ["PROJ-1 x"]


def test_deeply_nested_payload_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    context = github_context(job_env("push", path), str(tmp_path))
    assert any("nested too deeply" in note for note in context.notes)


def test_merge_request_iid_not_a_number(tmp_path: Path) -> None:
    env = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "abc", "CI_PROJECT_URL": "https://g/x"}
    context = gitlab_context(env, str(tmp_path))
    assert context.pull_request is not None and context.pull_request.number == 0
    assert any("CI_MERGE_REQUEST_IID='abc' is not a number" in note for note in context.notes)


def test_set_cannot_replace_context_structures(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("render", "--sample", "slack/build.yml.j2", "--set", "commits=abc")
    assert result.code == 2
    assert "`commits` is filled from the CI context" in result.err


def test_closed_stdout_is_not_a_crash(tmp_path: Path) -> None:
    """`cibridge render --list | head -1`: the reader goes away; no traceback, exit 0."""
    done = subprocess.run(  # noqa: S602 - the pipe is the point
        f"{sys.executable} -m cibridge render --list | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    pipe = subprocess.run(  # noqa: S602
        f"set -o pipefail; {sys.executable} -m cibridge demo --sample | head -3",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert pipe.returncode == 0, pipe.stderr
    assert "Traceback" not in pipe.stderr and "internal error" not in pipe.stderr
