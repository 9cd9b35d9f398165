from __future__ import annotations

import io
from pathlib import Path

import pytest

from cibridge.context.platforms.gitlab import GitLab, gitlab_context
from cibridge.core.errors import CibridgeError
from tests.conftest import git


def gl_env(**extra: str) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "acme/checkout",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/checkout",
        "CI_COMMIT_SHA": "b" * 40,
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_BRANCH": "main",
        "CI_PIPELINE_SOURCE": "push",
        "GITLAB_USER_LOGIN": "mona",
        "CI_PIPELINE_ID": "555",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/checkout/-/pipelines/555",
        "CI_JOB_NAME": "deploy",
        "CI_JOB_STATUS": "failed",
        "CI_ENVIRONMENT_NAME": "production",
        "CI_PIPELINE_CREATED_AT": "2026-11-27T08:00:00Z",
        "CI_COMMIT_MESSAGE": "PROJ-9 hotfix\n\nbody",
        "CI_COMMIT_AUTHOR": "Mona Lisa <mona@example.com>",
        "CI_COMMIT_TIMESTAMP": "2026-11-27T07:59:00+00:00",
        **extra,
    }


@pytest.mark.parametrize(
    ("word", "status"),
    [("failed", "failure"), ("canceled", "cancelled"), ("skipped", "cancelled"),
     ("running", "running"), ("success", "success"), ("", "")],
)  # fmt: skip
def test_ci_job_status_is_read_into_the_one_vocabulary(
    tmp_path: Path, word: str, status: str
) -> None:
    # Templates saw GitLab's own words, so a failed job was a grey lozenge in Jira.
    assert gitlab_context(gl_env(CI_JOB_STATUS=word), str(tmp_path)).status == status


def test_new_branch_all_zero_before_sha_uses_head_commit(tmp_path: Path) -> None:
    context = gitlab_context(gl_env(CI_COMMIT_BEFORE_SHA="0" * 40), str(tmp_path))
    assert context.platform == "gitlab"
    assert context.status == "failure"  # CI_JOB_STATUS=failed, in the one vocabulary
    assert context.environment == "production"
    assert len(context.commits) == 1
    commit = context.commits[0]
    assert commit.title == "PROJ-9 hotfix"
    assert commit.author.name == "Mona Lisa" and commit.author.email == "mona@example.com"
    assert commit.url == f"https://gitlab.example.com/acme/checkout/-/commit/{'b' * 40}"
    assert context.template_vars()["duration_seconds"] > 0


def test_before_sha_range_from_checkout(repo: Path) -> None:
    shas = git(repo, "log", "--format=%H").split()
    env = gl_env(CI_COMMIT_SHA=shas[0], CI_COMMIT_BEFORE_SHA=shas[2])
    context = gitlab_context(env, str(repo))
    assert [c.sha for c in context.commits] == shas[:2]
    assert "{{ 7*7 }}" in context.commits[0].message


def test_merge_request_pipeline(repo: Path) -> None:
    shas = git(repo, "log", "--format=%H").split()
    env = gl_env(
        CI_COMMIT_SHA=shas[0],
        CI_COMMIT_BRANCH="",
        CI_MERGE_REQUEST_IID="17",
        CI_MERGE_REQUEST_TITLE="PROJ-7 retries",
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
        CI_MERGE_REQUEST_DIFF_BASE_SHA=shas[1],
        CI_COMMIT_BEFORE_SHA="0" * 40,
        CI_PIPELINE_SOURCE="merge_request_event",
    )
    context = gitlab_context(env, str(repo))
    assert context.pull_request is not None
    assert (
        context.pull_request.url == "https://gitlab.example.com/acme/checkout/-/merge_requests/17"
    )
    assert context.branch == "feature"
    assert [c.sha for c in context.commits] == shas[:1]
    pull = context.template_vars()["pull_request"]
    assert pull["kind"] == "merge_request" and pull["reference"] == "!17"


def test_environment_url_is_the_environments_link(tmp_path: Path) -> None:
    env = gl_env(CI_ENVIRONMENT_URL="https://shop.example.com")
    assert gitlab_context(env, str(tmp_path)).template_vars()["environment_url"] == (
        "https://shop.example.com"
    )


def test_shallow_clone_without_before_sha_says_so(repo: Path) -> None:
    env = gl_env(
        CI_COMMIT_SHA=git(repo, "rev-parse", "HEAD").strip(), CI_COMMIT_BEFORE_SHA="c" * 40
    )
    context = gitlab_context(env, str(repo))
    assert len(context.commits) == 1
    assert any("GIT_DEPTH: 0" in note for note in context.notes)


def _platform(tmp_path: Path) -> tuple[GitLab, Path]:
    dotenv = tmp_path / "out.env"
    return GitLab({"CIBRIDGE_DOTENV": str(dotenv)}, io.StringIO(), io.StringIO()), dotenv


def test_dotenv_keys_are_converted_and_appended(tmp_path: Path) -> None:
    platform, dotenv = _platform(tmp_path)
    platform.set_outputs({"ok": "true", "message-id": "1.2"})
    platform.set_outputs({"channel-id": "C1"})
    assert dotenv.read_text() == "ok=true\nmessage_id=1.2\nchannel_id=C1\n"


def test_dotenv_rejects_multiline_values(tmp_path: Path) -> None:
    platform, _ = _platform(tmp_path)
    with pytest.raises(CibridgeError, match="single-line"):
        platform.set_outputs({"text": "a\nb"})


def test_dotenv_enforces_5_kb(tmp_path: Path) -> None:
    platform, dotenv = _platform(tmp_path)
    with pytest.raises(CibridgeError, match="GitLab accepts 5 KB"):
        platform.set_outputs({"big": "x" * 5200})
    assert not dotenv.exists()


def test_sections_are_collapsible(tmp_path: Path) -> None:
    out = io.StringIO()
    platform = GitLab({}, out, out)
    with platform.group("Rendered"):
        platform.print("body")
    lines = out.getvalue().split("\n")
    assert (
        "section_start:" in lines[0]
        and "[collapsed=true]" in lines[0]
        and lines[0].endswith("Rendered")
    )
    assert lines[1] == "body"
    assert "section_end:" in lines[2]


HOSTILE = "v9.9.9\x1b[0Ksection_end:1:x\r\x1b[0Ksection_start:1:fake[collapsed=true]\r\x1b[2J"


def test_data_printed_cannot_open_close_or_clear_anything() -> None:
    """GitLab's log reads ESC sequences and section markers anywhere: data printed through
    print, the error and warning lines and a section title shows them, never obeys them."""
    out = io.StringIO()
    platform = GitLab({}, out, out)
    with platform.group(f"title {HOSTILE}"):
        platform.print(f"body {HOSTILE}")
        platform.error(f"error {HOSTILE}")
        platform.warning(f"warning {HOSTILE}")
        platform.print_err(f"err {HOSTILE}")
    lines = out.getvalue().rstrip("\n").split("\n")
    ours = [lines[0], lines[-1]]  # the section's own markers
    assert all(line.startswith("\x1b[0Ksection_") for line in ours)
    for line in lines:
        data = line.split("\x1b[0K", 2)[-1] if line in ours else line
        data = data.removeprefix("\x1b[31;1m").removeprefix("\x1b[33;1m").removesuffix("\x1b[0m")
        assert "\x1b" not in data and "\r" not in data, repr(line)
    assert out.getvalue().count("\x1b[0Ksection_start:") == 1  # ours; the data's is text
    assert "body v9.9.9\\x1b[0Ksection_end:1:x\\x0d" in out.getvalue()


# -- variables of the wrong shape; reports that cannot be written --------------------------


def test_merge_request_iid_not_a_number(tmp_path: Path) -> None:
    env = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "abc", "CI_PROJECT_URL": "https://g/x"}
    context = gitlab_context(env, str(tmp_path))
    assert context.pull_request is not None and context.pull_request.number == 0
    assert any("CI_MERGE_REQUEST_IID='abc' is not a number" in note for note in context.notes)


def test_unwritable_dotenv_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "GITLAB_CI": "true",
        "CIBRIDGE_DOTENV": str(tmp_path),  # a directory
        "CIBRIDGE_WEBHOOK_URL": "https://hooks.example/x",
    }
    result = cli("--dry-run", "notify", "--status", "success", "--to", "webhook", env=env)
    assert result.code == 2
    assert "dotenv report" in result.err
    assert "Traceback" not in result.all
