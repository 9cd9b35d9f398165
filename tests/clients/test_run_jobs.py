"""Reading a run's jobs: the recorded answers parsed, pages followed, and every answer that
is not a jobs list, a refusal or a run too big a clear error."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.run_jobs import Job, Run, RunJobs, parse_github, parse_gitlab
from cibridge.core.errors import EXIT_FAILURE, EXIT_USAGE, CibridgeError
from cibridge.http.transport import HttpSettings, Transport
from tests.conftest import FIXTURES

RECORDED = FIXTURES / "ci-jobs"
JOBS = "/repos/octo-org/octo-repo/actions/runs/29679449/attempts/1/jobs"


def _github(server: HTTPServer) -> Run:
    return Run("github", server.url_for("").rstrip("/"), "octo-org/octo-repo", "29679449", "1")


def _reader() -> RunJobs:
    return RunJobs(Transport(HttpSettings(retries=0)), "ghs_test")


def test_githubs_recorded_example_is_one_succeeded_job_with_its_duration() -> None:
    data = json.loads((RECORDED / "github_job_paginated.json").read_text())
    (job,) = [parse_github(item) for item in data["jobs"]]
    assert job == Job(
        id="399444496",
        name="build",
        status="success",
        url="https://github.com/octo-org/octo-repo/runs/29679449/jobs/399444496",
        started_at="2020-01-20T17:42:40Z",
        finished_at="2020-01-20T17:44:39Z",
        duration_seconds=119.0,
    )


def test_a_failed_github_step_is_named_and_linked_to_its_log() -> None:
    data = json.loads((RECORDED / "github_job_paginated.json").read_text())["jobs"][0]
    data["conclusion"] = "failure"
    data["steps"][6]["conclusion"] = "failure"
    job = parse_github(data)
    assert job.status == "failure" and job.failed_step == "Run Tests"
    assert job.failed_step_url == job.url + "#step:7:1"


@pytest.mark.parametrize(
    ("status", "conclusion", "word"),
    [
        ("completed", "timed_out", "failure"),
        ("completed", "cancelled", "cancelled"),
        ("completed", "skipped", "skipped"),
        ("completed", "neutral", "success"),
        ("in_progress", None, "running"),
        ("queued", None, "running"),
    ],
)
def test_github_states(status: str, conclusion: str | None, word: str) -> None:
    assert parse_github({"name": "x", "status": status, "conclusion": conclusion}).status == word


def test_gitlabs_recorded_example_is_a_failed_job_in_its_stage() -> None:
    (item,) = json.loads((RECORDED / "gitlab_pipeline_jobs.json").read_text())
    job = parse_gitlab(item)
    assert (job.name, job.status, job.stage, job.failure_reason) == (
        "rspec:other",
        "failure",
        "test",
        "script_failure",
    )
    assert job.url == "https://example.com/foo/bar/-/jobs/6" and job.duration_seconds == 0.192


def test_a_bridge_reports_its_downstream_pipelines_status() -> None:
    bridge = {
        "id": 9,
        "name": "docs",
        "status": "success",
        "downstream_pipeline": {"status": "failed"},
    }
    assert parse_gitlab(bridge, trigger=True).status == "failure"


def test_pages_follow_the_link_header(httpserver: HTTPServer) -> None:
    first = {
        "total_count": 2,
        "jobs": [{"id": 1, "name": "a", "status": "completed", "conclusion": "success"}],
    }
    second = {
        "total_count": 2,
        "jobs": [{"id": 2, "name": "b", "status": "completed", "conclusion": "failure"}],
    }
    httpserver.expect_ordered_request(JOBS, query_string="per_page=100").respond_with_json(
        first, headers={"Link": f'<{httpserver.url_for(JOBS)}?per_page=100&page=2>; rel="next"'}
    )
    httpserver.expect_ordered_request(JOBS, query_string="per_page=100&page=2").respond_with_json(
        second
    )
    read = _reader().read(_github(httpserver))
    assert [j.name for j in read.jobs] == ["a", "b"] and read.calls == 2
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer ghs_test"


def test_a_next_page_on_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request(JOBS).respond_with_json(
        {"total_count": 1, "jobs": []},
        headers={"Link": '<https://elsewhere.example/jobs?page=2>; rel="next"'},
    )
    with pytest.raises(CibridgeError, match="next page of jobs is on another host") as raised:
        _reader().read(_github(httpserver))
    assert raised.value.exit_code == EXIT_FAILURE


@pytest.mark.parametrize(
    "answer",
    [{"message": "ok"}, [{"id": 1}], {"jobs": "none"}, {"jobs": [1, 2]}],
    ids=["no jobs", "a list", "jobs not a list", "jobs not objects"],
)
def test_a_200_of_the_wrong_shape_is_an_error(httpserver: HTTPServer, answer: object) -> None:
    httpserver.expect_request(JOBS).respond_with_json(answer)
    with pytest.raises(CibridgeError, match='is not an object with a "jobs" list') as raised:
        _reader().read(_github(httpserver))
    assert raised.value.exit_code == EXIT_FAILURE and "GITHUB_API_URL" in str(raised.value)


def test_an_html_page_is_an_error_too(httpserver: HTTPServer) -> None:
    httpserver.expect_request(JOBS).respond_with_data(
        "<html>login</html>", content_type="text/html"
    )
    with pytest.raises(CibridgeError, match="the jobs answer is not"):
        _reader().read(_github(httpserver))


@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (
            401,
            {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "status": "401",
            },
            "valid token",
        ),
        (
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt",
                "status": "403",
            },
            "actions: read",
        ),
        (
            404,
            {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt",
                "status": "404",
            },
            "GITHUB_RUN_ATTEMPT",
        ),
    ],
)
def test_githubs_refusals_carry_its_message_and_what_to_do(
    httpserver: HTTPServer, status: int, body: dict[str, str], hint: str
) -> None:
    httpserver.expect_request(JOBS).respond_with_json(body, status=status)
    with pytest.raises(CibridgeError) as raised:
        _reader().read(_github(httpserver))
    text = str(raised.value)
    assert raised.value.exit_code == EXIT_FAILURE
    assert body["message"] in text and f"HTTP {status}" in text and hint in text


def test_gitlab_reads_jobs_and_bridges_with_the_api_token_and_x_next_page(
    httpserver: HTTPServer,
) -> None:
    base = "/api/v4/projects/42/pipelines/6"
    httpserver.expect_request(base + "/jobs", query_string="per_page=100&page=1").respond_with_json(
        [{"id": 2, "name": "a", "status": "success"}], headers={"X-Next-Page": "2"}
    )
    httpserver.expect_request(base + "/jobs", query_string="per_page=100&page=2").respond_with_json(
        [{"id": 1, "name": "b", "status": "failed", "stage": "test"}], headers={"X-Next-Page": ""}
    )
    httpserver.expect_request(
        base + "/bridges", query_string="per_page=100&page=1"
    ).respond_with_json([])
    run = Run("gitlab", httpserver.url_for("/api/v4").rstrip("/"), "42", "6")
    read = RunJobs(Transport(HttpSettings(retries=0)), "glpat-test").read(run)
    assert [j.name for j in read.jobs] == ["a", "b"] and read.calls == 3
    assert all(r.headers["PRIVATE-TOKEN"] == "glpat-test" for r, _ in httpserver.log)


def test_gitlab_wrong_shape_and_refusal(httpserver: HTTPServer) -> None:
    base = "/api/v4/projects/42/pipelines/6"
    run = Run("gitlab", httpserver.url_for("/api/v4").rstrip("/"), "42", "6")
    reader = RunJobs(Transport(HttpSettings(retries=0)), "glpat-test")
    httpserver.expect_oneshot_request(base + "/jobs").respond_with_json({"message": "ok"})
    with pytest.raises(CibridgeError, match="is not a list of jobs"):
        reader.read(run)
    httpserver.expect_oneshot_request(base + "/jobs").respond_with_json(
        {"message": "403 Forbidden"}, status=403
    )
    with pytest.raises(CibridgeError, match="403 Forbidden") as raised:
        reader.read(run)
    assert "Reporter role" in str(raised.value)


def test_without_a_token_nothing_is_sent_and_the_hint_names_the_token() -> None:
    run = Run("gitlab", "https://gitlab.example.com/api/v4", "42", "6")
    with pytest.raises(CibridgeError) as raised:
        RunJobs(None, "").read(run)
    assert raised.value.exit_code == EXIT_USAGE
    assert "CI_JOB_TOKEN cannot list a pipeline's jobs" in str(raised.value)


def test_a_retried_job_counts_once_as_its_newest_try() -> None:
    from cibridge.clients.run_jobs import _newest

    tries = [
        Job("5", "e2e", "failure", attempt=1),
        Job("9", "e2e", "success", attempt=2),
        Job("7", "lint", "success"),
        Job("8", "lint", "failure"),  # GitLab: the higher id is the newer try
    ]
    assert [(j.name, j.id) for j in _newest(tries)] == [("e2e", "9"), ("lint", "8")]
