"""The jobs endpoints of the GitHub and GitLab API stand-ins page, authenticate and refuse
as the services do."""

from __future__ import annotations

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
from tests.demo.standins.client import send

GH = {"Authorization": f"Bearer {GITHUB_API_TOKEN}", "Accept": "application/vnd.github+json"}
JOBS = "/github-api/repos/acme/checkout/actions/runs/987/attempts/2/jobs"


def test_github_pages_with_link_headers_and_caps_per_page(stand_ins: StandIns) -> None:
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    github.jobs.script(
        "acme/checkout", 987, [github_job(f"t ({n})", job_id=n) for n in range(250)], 2
    )
    first = send(stand_ins.base, JOBS + "?per_page=500", method="GET", headers=GH)
    assert first.status == 200 and first.json["total_count"] == 250
    assert len(first.json["jobs"]) == 100
    assert (
        'page=2>; rel="next"' in first.headers["Link"]
        and 'page=3>; rel="last"' in first.headers["Link"]
    )
    last = send(stand_ins.base, JOBS + "?per_page=100&page=3", method="GET", headers=GH)
    assert len(last.json["jobs"]) == 50 and 'rel="next"' not in last.headers["Link"]
    default = send(stand_ins.base, JOBS, method="GET", headers=GH)
    assert len(default.json["jobs"]) == 30  # GitHub's default page size
    other = send(stand_ins.base, JOBS.replace("/2/", "/1/"), method="GET", headers=GH)
    assert other.status == 404 and other.json["message"] == "Not Found"
    anonymous = send(stand_ins.base, JOBS, method="GET", headers={})
    assert anonymous.status == 401 and anonymous.json["message"] == "Requires authentication"


def test_a_github_job_has_the_documented_fields() -> None:
    required = (
        "id node_id run_id run_url head_sha workflow_name head_branch name url html_url status "
        "conclusion started_at completed_at check_run_url labels runner_id runner_name "
        "runner_group_id runner_group_name created_at"
    ).split()  # the `job` schema's required list
    assert set(required) <= set(github_job("x"))


def test_gitlab_leaves_retried_jobs_out_unless_asked_and_pages_with_x_next_page(
    stand_ins: StandIns,
) -> None:
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    jobs = [gitlab_job("e2e", "failed", job_id=1, retried=True), gitlab_job("e2e", job_id=2)]
    jobs += [gitlab_job(f"u {n}/30", job_id=10 + n) for n in range(1, 31)]
    gitlab.jobs.script(42, 6, jobs)
    path = "/gitlab/api/v4/projects/42/pipelines/6/jobs"
    auth = {"PRIVATE-TOKEN": GITLAB_API_TOKEN}
    first = send(stand_ins.base, path, method="GET", headers=auth)
    assert len(first.json) == 20 and first.headers["X-Next-Page"] == "2"
    assert first.headers["X-Total"] == "31" and first.json[0]["id"] == 40  # newest first
    everything = send(
        stand_ins.base, path + "?per_page=100&include_retried=true", method="GET", headers=auth
    )
    assert len(everything.json) == 32 and everything.headers["X-Next-Page"] == ""
    by_path = send(
        stand_ins.base,
        "/gitlab/api/v4/projects/acme%2Fcheckout/pipelines/6/bridges",
        method="GET",
        headers=auth,
    )
    assert by_path.status == 200 and by_path.json == []
    job_token = send(stand_ins.base, path, method="GET", headers={"JOB-TOKEN": GITLAB_JOB_TOKEN})
    assert job_token.status == 401 and job_token.json == {"message": "401 Unauthorized"}
    missing = send(stand_ins.base, path.replace("/6/", "/7/"), method="GET", headers=auth)
    assert missing.status == 404
