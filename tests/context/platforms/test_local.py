from __future__ import annotations

import io
import json
from pathlib import Path

from cibridge.context.platforms import detect
from cibridge.context.platforms.local import Local, local_context
from tests.conftest import git


def test_detection_order() -> None:
    assert detect({"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}).name == "github"
    assert detect({"GITLAB_CI": "true"}).name == "gitlab"
    assert detect({"GITLAB_CI": "false", "CI_JOB_ID": "1", "CI_PROJECT_DIR": "/p"}).name == "gitlab"
    assert detect({"GITLAB_CI": "false"}).name == "local"
    assert detect({}).name == "local"
    assert detect({"GITHUB_ACTIONS": "true"}, forced="local").name == "local"


def test_local_git_context(repo: Path) -> None:
    context = local_context({}, str(repo))
    assert context.repository == "acme/checkout"
    assert context.repository_url == "https://github.com/acme/checkout"
    assert context.branch == "main"
    assert context.sha == git(repo, "rev-parse", "HEAD").strip()
    assert context.actor
    assert len(context.commits) == 1
    assert context.commits[0].url.startswith("https://github.com/acme/checkout/commit/")


def test_outside_git(tmp_path: Path) -> None:
    context = local_context({}, str(tmp_path))
    assert context.sha == "" and context.commits == []
    assert context.notes


def test_json_outputs() -> None:
    out = io.StringIO()
    Local({"CIBRIDGE_OUTPUT_FORMAT": "json"}, out, io.StringIO()).set_outputs({"ok": "true"})
    assert json.loads(out.getvalue()) == {"ok": "true"}


def test_show_context_in_json(cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("-C", str(repo), "render", "--show-context", "--set", "service_name=api")
    data = json.loads(result.out)
    assert data["platform"] == "local"
    assert data["service_name"] == "api"
    for name in (
        "repository",
        "repository_url",
        "sha",
        "short_sha",
        "ref",
        "branch",
        "tag",
        "event",
        "actor",
        "run_id",
        "run_url",
        "workflow",
        "job",
        "status",
        "environment",
        "version",
        "commits",
        "pull_request",
        "started_at",
        "duration_seconds",
    ):
        assert name in data
