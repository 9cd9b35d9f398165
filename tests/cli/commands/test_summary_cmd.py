"""`cibridge summary` end to end against the GitHub / GitLab API stand-ins and the chat
stand-ins: one message for the run with a matrix, a failure, a skip and a retried job;
paging; the API's refusals and a wrong answer each a clear error; nothing leaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GITLAB_JOB_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
)
from cibridge.demo.standins.github_jobs import job as github_job
from cibridge.demo.standins.gitlab_jobs import job as gitlab_job
from tests.github_job import github_env, outputs

REPO = "acme/checkout"


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


def _run_jobs(attempt: int = 2) -> list[dict[str, Any]]:
    """A re-run (attempt 2): a matrix with one failure, a skip, a job retried in this
    attempt (its first try listed too), and the summary job itself."""
    kw = {"repository": REPO, "run_id": 987}
    return [
        github_job("lint", job_id=1, attempt=1, **kw),
        github_job("build (3.10)", job_id=2, attempt=1, **kw),
        github_job("build (3.11)", "failure", job_id=3, failed_step="Run pytest", **kw),
        github_job("build (3.12)", job_id=4, **kw),
        github_job("deploy", "skipped", job_id=5, **kw),
        github_job("flaky", "failure", job_id=6, attempt=1, failed_step="Run e2e", **kw),
        github_job("flaky", job_id=7, attempt=attempt, **kw),
        github_job("summary", None, job_id=8, **kw),
    ]


def _slack_message(stand_ins: StandIns) -> dict[str, Any]:
    (sent,) = [r for r in stand_ins.received if r.service == "slack"]
    body: dict[str, Any] = sent.json
    return body


def _slack_text(body: dict[str, Any]) -> str:
    blocks = body["attachments"][0]["blocks"]
    return "\n".join(
        str(b.get("text", {}).get("text", "")) for b in blocks if b["type"] == "section"
    )


def _github_env(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        **stand_ins.env(),
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_JOB": "summary",
        "CIBRIDGE_HTTP_RETRIES": "0",
        **extra,
    }


def test_one_message_for_a_run_with_a_matrix_a_failure_a_skip_and_a_retried_job(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    body = _slack_message(stand_ins)
    text = _slack_text(body)
    # the matrix is one line under its name, with its worst member's status
    assert "build</a>" not in text and "❌ build — Failed" in text
    assert "3 jobs (2 succeeded)" in text
    assert "⏭️" in text and "deploy" in text and "Skipped" in text
    # the retried job counts once, as its newest try
    assert (
        text.count("flaky") == 1
        and "✅ <https://github.com/acme/checkout/actions/runs/987/job/7|flaky>" in text
    )
    # the summary's own job is left out
    assert "summary" not in text.replace("Run summary", "")
    # the failed step, linked
    assert "build (3.11)" in text and "step `Run pytest`" in text
    assert "/job/3#step:3:1" in text
    assert body["attachments"][0]["color"] == "#E01E5A"
    assert "Run summary" in body["text"]
    found = outputs(tmp_path)
    assert found["result"] == "failure" and found["ok"] == "true"
    assert json.loads(found["failed-jobs"]) == ["build (3.11)"]
    assert found["jobs"] == "6"
    (read,) = [r for r in stand_ins.received if r.service == "github"]
    assert read.path.startswith(f"/github-api/repos/{REPO}/actions/runs/987/attempts/2/jobs")
    assert "per_page=100" in read.path
    summary = (tmp_path / "github_summary").read_text()
    assert (
        "cibridge summary: failure" in summary
        and "| build (3.11) | failure | Run pytest |" in summary
    )


def test_more_than_a_hundred_jobs_are_read_page_by_page(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jobs = [
        github_job(f"test ({n})", job_id=100 + n, repository=REPO, run_id=987) for n in range(250)
    ]
    jobs.append(github_job("package", "failure", job_id=999, failed_step="Build", repository=REPO))
    _github(stand_ins).jobs.script(REPO, 987, jobs, attempt=2)
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    reads = [r for r in stand_ins.received if r.service == "github"]
    assert len(reads) == 3
    assert "page=3" in reads[-1].path
    text = _slack_text(_slack_message(stand_ins))
    assert "251 jobs" not in text and "250 jobs" in text and "package" in text
    assert outputs(tmp_path)["jobs"] == "251"
    assert "3 API request(s)" in result.out


def test_a_thousand_jobs_fit_one_message_and_more_are_refused(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jobs = [github_job(f"job {n}", job_id=n + 1, repository=REPO) for n in range(1000)]
    _github(stand_ins).jobs.script(REPO, 987, jobs, attempt=2)
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    body = _slack_message(stand_ins)
    assert len(json.dumps(body)) < 13_000
    assert "… and 975 more" in _slack_text(body)
    stand_ins.received.clear()
    jobs.append(github_job("one too many", job_id=5000, repository=REPO))
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 1
    assert "has more than 1000 jobs" in result.all
    assert not [r for r in stand_ins.received if r.service == "slack"]


def test_the_apis_refusals_are_clear_errors(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    bad = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path, GITHUB_TOKEN="x"))
    assert bad.code == 1
    assert "GitHub refused to list the jobs of GitHub run acme/checkout#987 (attempt 2)" in bad.all
    assert "Bad credentials" in bad.all and "HTTP 401" in bad.all
    missing = cli(
        "summary", "--to", "slack", env=_github_env(stand_ins, tmp_path, GITHUB_RUN_ID="555")
    )
    assert missing.code == 1
    assert "Not Found" in missing.all and "GITHUB_RUN_ATTEMPT" in missing.all
    assert not [r for r in stand_ins.received if r.service == "slack"]


def test_no_token_is_a_usage_error_saying_which_permission(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _github_env(stand_ins, tmp_path)
    del env["GITHUB_TOKEN"]
    result = cli("summary", "--to", "slack", env=env)
    assert result.code == 2
    assert "no token to read the run's jobs" in result.all and "actions: read" in result.all


def test_dry_run_shows_the_reads_and_the_message_and_sends_nothing(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    result = cli("--dry-run", "summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    assert (
        f"GET {stand_ins.env()['GITHUB_API_URL']}/repos/{REPO}/actions/runs/987/attempts/2/jobs"
        in result.out
    )
    assert "dry run, not sent" in result.out and "Run pytest" in result.out
    assert not [r for r in stand_ins.received if r.service == "slack"]
    shown = [line for line in result.all.splitlines() if not line.startswith("::add-mask::")]
    assert GITHUB_API_TOKEN not in "\n".join(shown)


def test_chinese_templates(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    result = cli(
        "summary", "--to", "dingtalk", "--locale", "zh-CN", env=_github_env(stand_ins, tmp_path)
    )
    assert result.code == 0, result.all
    (sent,) = [r for r in stand_ins.received if r.service == "dingtalk"]
    text = sent.json["markdown"]["text"]
    assert "运行汇总" in text and "失败的作业" in text and "步骤 Run pytest" in text


def test_a_repository_template_overrides_the_built_in_one(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    folder = tmp_path / ".cibridge" / "templates" / "slack"
    folder.mkdir(parents=True)
    (folder / "summary.yml.j2").write_text(
        'text: "{{ run_summary.result }}: {% for g in run_summary.groups %}{{ g.name }} {% endfor %}"\n'
    )
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    assert _slack_message(stand_ins)["text"] == "failure: lint build deploy flaky "


def _gitlab_env(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **stand_ins.env(),
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": REPO,
        "CI_PROJECT_URL": f"https://gitlab.example.com/{REPO}",
        "CI_PIPELINE_ID": "6",
        "CI_PIPELINE_URL": f"https://gitlab.example.com/{REPO}/-/pipelines/6",
        "CI_JOB_ID": "20",
        "CI_JOB_NAME": "summary",
        "CI_COMMIT_SHA": "c" * 40,
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_BRANCH": "main",
        "GITLAB_USER_LOGIN": "root",
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
        "CI_JOB_TOKEN": GITLAB_JOB_TOKEN,
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_DOTENV": str(tmp_path / "cibridge.env"),
        **extra,
    }


def _gitlab_pipeline() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    jobs = [
        gitlab_job("build: [3.10]", job_id=10, stage="build"),
        gitlab_job(
            "build: [3.11]", "failed", job_id=11, stage="build", failure_reason="script_failure"
        ),
        gitlab_job("test 1/2", job_id=12),
        gitlab_job("test 2/2", job_id=13),
        gitlab_job("e2e", "failed", job_id=14, retried=True, failure_reason="script_failure"),
        gitlab_job("e2e", job_id=15),
        gitlab_job(
            "lint", "failed", job_id=16, allow_failure=True, failure_reason="script_failure"
        ),
        gitlab_job("deploy", "skipped", job_id=17, stage="deploy"),
        gitlab_job("summary", "running", job_id=20, stage=".post"),
    ]
    bridges = [gitlab_job("docs", job_id=18, stage="deploy", bridge=True)]
    return jobs, bridges


def test_gitlab_pipeline_jobs_and_bridges_retried_once_own_job_left_out(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jobs, bridges = _gitlab_pipeline()
    _gitlab(stand_ins).jobs.script(42, 6, jobs, bridges)
    result = cli("summary", "--to", "slack", env=_gitlab_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    text = _slack_text(_slack_message(stand_ins))
    assert "❌ build — Failed" in text and "2 jobs (1 succeeded)" in text
    assert "✅ test — Succeeded" in text
    assert text.count("e2e") == 1  # the retried try is not listed (include_retried is off)
    assert "docs" in text and "summary" not in text.replace("Run summary", "")
    assert "stage `build` (script_failure)" in text
    assert "lint" in text and "allowed to fail" in text
    reads = [r.path for r in stand_ins.received if r.service == "gitlab"]
    assert reads == [
        "/gitlab/api/v4/projects/42/pipelines/6/jobs?per_page=100&page=1",
        "/gitlab/api/v4/projects/42/pipelines/6/bridges?per_page=100&page=1",
    ]
    dotenv = (tmp_path / "cibridge.env").read_text()
    assert "CIBRIDGE_RESULT=failure" in dotenv or "result=failure" in dotenv.lower()


def test_gitlab_with_only_the_job_token_says_which_token_to_make(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _gitlab_env(stand_ins, tmp_path)
    del env["GITLAB_TOKEN"]
    result = cli("summary", "--to", "slack", env=env)
    assert result.code == 2
    assert "CI_JOB_TOKEN cannot list a pipeline's jobs" in result.all
    assert "read_api" in result.all and "GITLAB_TOKEN" in result.all
    assert GITLAB_JOB_TOKEN not in result.all


def test_gitlab_pages_and_refusals(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jobs = [gitlab_job(f"unit {n}/150", job_id=100 + n) for n in range(1, 151)]
    _gitlab(stand_ins).jobs.script(42, 6, jobs)
    result = cli("summary", "--to", "slack", env=_gitlab_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    reads = [r.path for r in stand_ins.received if r.service == "gitlab"]
    assert len(reads) == 3 and reads[1].endswith("/jobs?per_page=100&page=2")
    assert "150 jobs" in _slack_text(_slack_message(stand_ins))
    wrong = cli(
        "summary", "--to", "slack", env=_gitlab_env(stand_ins, tmp_path, GITLAB_TOKEN="glpat-wrong")
    )
    assert wrong.code == 1 and "401 Unauthorized" in wrong.all and "read_api" in wrong.all
    other = cli(
        "summary", "--to", "slack", env=_gitlab_env(stand_ins, tmp_path, CI_PIPELINE_ID="77")
    )
    assert other.code == 1 and "404 Not found" in other.all


def test_who_to_look_at_is_notifys_mentions_on_failure(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {slack: U024BE7LH}\n"
    )
    result = cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path))
    assert result.code == 0, result.all
    assert "<@U024BE7LH>" in json.dumps(_slack_message(stand_ins))
    stand_ins.received.clear()
    _github(stand_ins).jobs.script(REPO, 987, [github_job("lint", repository=REPO)], attempt=2)
    assert cli("summary", "--to", "slack", env=_github_env(stand_ins, tmp_path)).code == 0
    assert "<@U024BE7LH>" not in json.dumps(_slack_message(stand_ins))  # success: nobody


def test_the_summary_publishes_the_run_as_pipelinerun_finished(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from cibridge.demo.standins import CDEventsSink

    _github(stand_ins).jobs.script(REPO, 987, _run_jobs(), attempt=2)
    env = _github_env(stand_ins, tmp_path, CIBRIDGE_EVENTS_TO="http")
    result = cli("summary", "--to", "slack", env=env)
    assert result.code == 0, result.all
    [event] = next(s for s in stand_ins.services if isinstance(s, CDEventsSink)).events
    assert event["context"]["type"] == "dev.cdevents.pipelinerun.finished.0.3.0"
    assert event["subject"]["content"]["outcome"] == "failure"
    assert event["subject"]["content"]["errors"] == "failed: build (3.11)"
