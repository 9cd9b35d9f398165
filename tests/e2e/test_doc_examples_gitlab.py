"""The manual's GitLab CI/CD examples, run under gitlab-ci-local against the stand-ins, as a
reader would paste them into .gitlab-ci.yml.

Only what a reader changes is changed: the component comes from this checkout
(``local: templates/<name>.yml`` instead of ``component: $CI_SERVER_FQDN/your-group/…``),
the reader's own build job is beside it (GitLab runs no pipeline of ``.post`` jobs alone),
files the page shows are written where the example reads them, and the CI/CD variables
the page names are the stand-ins' addresses and credentials.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.demo.standins import GITLAB_API_TOKEN, StandIns, jira_of
from cibridge.demo.standins.datadog import DATADOG_API_KEY, DATADOG_APP_KEY, datadog_of
from cibridge.demo.standins.jira import JIRA_PAT, JIRA_TOKEN
from tests.doc_examples import GATE_CONFIG, Example, in_service
from tests.doc_examples import example as _example
from tests.e2e.harness import Run, run_gitlab_ci_local

BUILD = "build:\n  stage: build\n  script:\n    - echo building\n"


def _pipeline(example: Example) -> str:
    text = re.sub(
        r"component: \$CI_SERVER_FQDN/(?:your-group|<group>)/cibridge/(\w+)@1\.0\.0",
        r"local: templates/\1.yml",
        example.text,
    )
    assert "local: templates/" in text and "your-group" not in text, text
    return f"{text}{BUILD}"  # no stages: GitLab's defaults (build, test, deploy) apply


def _trigger_variables(stand_ins: StandIns, source: str) -> dict[str, str]:
    """The CI/CD variables docs/trigger.md's GitLab set-up names, for a pipeline started by
    ``source``; CI_PROJECT_ID is the project the stand-in knows ("the current project")."""
    from cibridge.demo.standins import GITLAB_TRIGGER_TOKEN

    env = stand_ins.env()
    return {
        "CI_PIPELINE_SOURCE": source,
        "CI_PROJECT_ID": "42",
        "JIRA_BASE_URL": env["JIRA_BASE_URL"],
        "JIRA_USER_EMAIL": env["JIRA_USER_EMAIL"],
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "CIBRIDGE_TRIGGER_KEY": "0f" * 32,
        "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN,
        "CI_API_V4_URL": env["CI_API_V4_URL"],
    }


def _run(
    tmp_path: Path,
    pipeline: str,
    variables: dict[str, str],
    files: dict[str, str] | None = None,
    commit_message: str = "PROJ-1: empty carts no longer crash",
) -> Run:
    return run_gitlab_ci_local(tmp_path, pipeline, variables, commit_message, files)


@pytest.mark.parametrize("page", ["README.md", "docs/gitlab.md"])
def test_the_notify_quick_start_reaches_slack_and_dingtalk(
    tmp_path: Path, stand_ins: StandIns, page: str
) -> None:
    env = stand_ins.env()
    variables = {
        "SLACK_WEBHOOK_URL": env["SLACK_WEBHOOK_URL"],
        "DINGTALK_WEBHOOK_URL": env["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": env["DINGTALK_SECRET"],
    }
    run = _run(tmp_path, _pipeline(_example(page, "to: slack,dingtalk")), variables)
    assert run.code == 0, run.output
    assert "PASS  cibridge-notify-success" in run.output, run.output
    [slack] = stand_ins.of("slack")
    assert "production" in slack.json["text"]
    assert len(stand_ins.of("dingtalk")) == 1


def test_the_attach_example_uploads_the_report_into_the_thread(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/notify.md's component with `attach`: the report (here committed, in the reader's
    pipeline an artifact) lands in the thread of the message the job posts."""
    from cibridge.demo.standins import SLACK_TOKEN

    variables = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_API_URL": f"{stand_ins.base}/slack/api"}
    files = {"reports/junit.xml": '<testsuite name="unit" tests="1"/>\n'}
    example = _example("docs/notify.md", "reports/junit.xml")
    run = _run(tmp_path, _pipeline(example), variables, files)
    assert run.code == 0, run.output
    posted = next(r for r in stand_ins.of("slack") if r.path.endswith("/chat.postMessage"))
    ts = json.loads(posted.answer)["ts"]
    shared = [
        f["name"]
        for m in stand_ins.behaviour.slack_messages.values()
        if m.get("thread_ts") == ts
        for f in m["files"]
    ]
    assert shared == ["junit.xml"], run.output


def test_the_render_example_writes_the_release_notes(tmp_path: Path) -> None:
    template = _example("docs/gitlab.md", "release-notes.md.j2: the commits").text
    pipeline = _pipeline(_example("docs/gitlab.md", "render@1.0.0"))
    files = {".cibridge/templates/release-notes.md.j2": template}  # committed, as the reader's
    run = _run(tmp_path, pipeline, {}, files)
    assert run.code == 0, run.output
    notes = (run.workdir / "release-notes.md").read_text()
    assert notes.startswith("# checkout ") and "- PROJ-1: empty carts no longer crash" in notes


@pytest.mark.parametrize(
    ("marker", "site", "status"),
    [
        ("GitLab CI/CD (Cloud", "Cloud", "Done"),
        ("GitLab CI/CD (Data Center", "DataCenter", "Deployed"),
    ],
)
def test_the_jira_examples_move_the_committed_issue(
    tmp_path: Path, stand_ins: StandIns, marker: str, site: str, status: str
) -> None:
    jira = jira_of(stand_ins)
    jira.knobs.deployment_type = site
    key = "PROJ-1"
    if status == "Deployed":  # a site whose workflow has that status, one step away
        key = jira.add_issue("PROJ", "Ship it", status="Ready for Deployment")
    variables = {"JIRA_BASE_URL": f"{stand_ins.base}/jira"}
    if site == "Cloud":
        variables |= {"JIRA_USER_EMAIL": stand_ins.env()["JIRA_USER_EMAIL"]}
        variables |= {"JIRA_API_TOKEN": JIRA_TOKEN}
    else:
        variables |= {"JIRA_PAT": JIRA_PAT}
    pipeline = _pipeline(_example("docs/jira.md", marker))
    run = _run(tmp_path, pipeline, variables, commit_message=f"{key}: ship the cart fix")
    assert run.code == 0, run.output
    issue = jira.issue(key)
    assert issue.status == status, run.output
    assert len(issue.comments) == 1
    api = "2" if site == "DataCenter" else "3"
    assert any(
        r.path == f"/jira/rest/api/{api}/issue/{key}/comment" for r in stand_ins.of("jira")
    ), run.output


def test_the_receiving_job_starts_the_mapped_pipeline(tmp_path: Path, stand_ins: StandIns) -> None:
    """docs/trigger.md's GitLab set-up: its deployment job and receiving job in one
    .gitlab-ci.yml, the page's rules as .cibridge.yml, on a trigger-token pipeline naming
    the issue, as a Jira Automation rule starts it."""
    from cibridge.demo.standins import GitLabApi
    from tests.trigger.helpers import seed_projects

    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    key = jira.add_issue(
        "PROJ1", "Ship checkout", issue_type="Story", status="Ready for Deployment"
    )
    deploy = _example("docs/trigger.md", "if: $DEPLOY_ISSUE_KEY").text
    pipeline = _pipeline(_example("docs/trigger.md", "TRIGGER_PAYLOAD")) + deploy
    rules = _example("docs/trigger.md", "issue_status_trigger:").text
    variables = {**_trigger_variables(stand_ins, "trigger"), "JIRA_ISSUE_KEY": key}
    run = _run(tmp_path, pipeline, variables, {".cibridge.yml": rules})
    assert run.code == 0, run.output
    assert "PASS  cibridge-trigger" in run.output, run.output
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    (created,) = gitlab.pipelines
    assert created["variables"]["DEPLOY_ISSUE_KEY"] == key


def test_the_gate_example_passes_and_hands_its_verdict_to_the_next_job(
    tmp_path: Path,
) -> None:
    """docs/gate.md's pipeline: the gate between deploy and promote, the promote job reading
    the gate's dotenv; the reader's checks as .cibridge.yml, the reader's service here."""
    from cibridge.demo.gate import DemoService
    from tests.e2e.harness import prometheus

    example = _example("docs/gate.md", "# PROMETHEUS_URL, a masked PROMETHEUS_TOKEN")
    with DemoService() as service, prometheus(tmp_path) as base:
        pipeline = in_service(_pipeline(example), service.port).replace(
            "script: ./promote.sh",
            'script: echo "OUT result=$result action=$action dispatched=$rollback_dispatched"',
        )
        pipeline = pipeline.replace(BUILD, BUILD.replace("stage: build", "stage: deploy"))
        # The reader's masked CI/CD variables: the example's dispatch needs GITLAB_TOKEN.
        variables = {"PROMETHEUS_URL": base, "GITLAB_TOKEN": GITLAB_API_TOKEN}
        run = _run(tmp_path, pipeline, variables, {".cibridge.yml": GATE_CONFIG})
    assert run.code == 0, run.output
    assert "PASS  cibridge-gate" in run.output and "PASS  promote" in run.output, run.output
    assert "OUT result=pass action=none dispatched=false" in run.output


def test_the_datadog_example_judges_the_deploy_and_records_it_in_dora(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/gate.md's Datadog component with its configuration and the masked variables the
    page names; the API base is the stand-in's (the reader's is the site's)."""
    datadog = datadog_of(stand_ins)
    query = "sum:trace.http.request.errors{service:checkout,env:production} by {version}.as_rate()"
    datadog.series[query] = lambda _t: {("version:1.5.0",): 0.1}
    config = _example("docs/gate.md", "app_key_ref: datadog-app-key").text
    example = _example("docs/gate.md", 'dora: "true"')
    # The reader's deploy finished before the check's 5 minutes: one look back, no wait.
    pipeline = _pipeline(example).replace('dora: "true"', 'dora: "true"\n      deployed-at: "-6m"')
    variables = {
        "DATADOG_API_KEY": DATADOG_API_KEY,  # the names the page's refs give
        "DATADOG_APP_KEY": DATADOG_APP_KEY,
        "DATADOG_API_URL": stand_ins.env()["DATADOG_API_URL"],
    }
    run = _run(tmp_path, pipeline, variables, {".cibridge.yml": config})
    assert run.code == 0 and "PASS  cibridge-gate" in run.output, run.output
    assert "result=pass" in run.output, run.output
    (deployment,) = datadog.deployments
    assert deployment["service"] == "checkout" and deployment["git"]["commit_sha"]


def test_the_scheduled_poll_starts_the_ready_issue_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/trigger.md's GitLab schedule, run twice: one pipeline for the ready issue, none
    for the one in progress."""
    from cibridge.demo.standins import GitLabApi
    from tests.trigger.helpers import seed_projects

    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    ready = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    waiting = jira.add_issue("PROJ1", "Not yet", issue_type="Story", status="In Progress")
    pipeline = _pipeline(_example("docs/trigger.md", "CI/CD → Schedules"))
    rules = _example("docs/trigger.md", "issue_status_trigger:").text
    variables = _trigger_variables(stand_ins, "schedule")
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    started = []
    for attempt in ("1", "2"):
        run = _run(tmp_path / attempt, pipeline, variables, {".cibridge.yml": rules})
        assert run.code == 0 and "PASS  cibridge-trigger" in run.output, run.output
        started.append([p["variables"]["DEPLOY_ISSUE_KEY"] for p in gitlab.pipelines])
    # The first poll starts the ready issue (and the stand-in's labelled ones); the second
    # finds each in the exactly-once record and starts nothing.
    assert started[0].count(ready) == 1 and started[1] == started[0], started
    assert waiting not in started[0]


def test_the_monitors_example_installs_the_datadog_check(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    config = _example("docs/gate.md", "app_key_ref: datadog-app-key").text
    pipeline = _pipeline(_example("docs/gate.md", "job-name: datadog-monitors"))
    variables = {
        "DATADOG_API_KEY": DATADOG_API_KEY,
        "DATADOG_APP_KEY": DATADOG_APP_KEY,
        "DATADOG_API_URL": stand_ins.env()["DATADOG_API_URL"],
    }
    run = _run(tmp_path, pipeline, variables, {".cibridge.yml": config})
    assert run.code == 0 and "PASS  datadog-monitors" in run.output, run.output
    assert re.search(r"^datadog-monitors +> - error_rate \(max\): added$", run.output, re.M)
    (monitor,) = datadog_of(stand_ins).monitors.values()
    assert "cibridge-service:checkout" in monitor["tags"]


def test_the_events_example_publishes_to_the_http_sink(
    tmp_path: Path, stand_ins: StandIns, httpserver: HTTPServer
) -> None:
    """docs/events.md's GitLab variables and component: the notify job's events reach the
    sink (the page's https://events.example.com is its address)."""
    import json

    httpserver.expect_request("/cdevents").respond_with_data("", 202)
    example = _example("docs/events.md", "CIBRIDGE_EVENTS_SPOOL: .cibridge-events")
    pipeline = _pipeline(example).replace(
        "https://events.example.com/cdevents", httpserver.url_for("/cdevents")
    )
    variables = {"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    run = _run(tmp_path, pipeline, variables)
    assert "PASS  cibridge-notify-success" in run.output, run.output
    kinds = [json.loads(r.data)["context"]["type"] for r, _ in httpserver.log]
    assert kinds == ["dev.cdevents.taskrun.finished.0.3.0", "dev.cdevents.service.deployed.0.3.0"]


def test_the_summary_example_posts_one_message_for_the_pipeline(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/summary.md's component beside the reader's build job, under gitlab-ci-local.
    It serves no jobs API, so the GitLab stand-in lists the pipeline's jobs as GitLab would
    (the summary's own job among them, found by CI_JOB_NAME when the id differs)."""
    from cibridge.demo.standins import GitLabApi
    from cibridge.demo.standins.gitlab_jobs import job

    listed = [
        job("build", job_id=10, stage="build"),
        job("test: [3.11]", job_id=11),
        job("test: [3.12]", "failed", job_id=12, failure_reason="script_failure"),
        job("cibridge-summary", "running", job_id=13, stage=".post"),
    ]
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    gitlab.jobs.any_pipeline[42] = (listed, [])
    env = stand_ins.env()
    variables = {
        "SLACK_WEBHOOK_URL": env["SLACK_WEBHOOK_URL"],
        "CI_API_V4_URL": env["CI_API_V4_URL"],
        "CI_PROJECT_ID": "42",
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
    }
    run = _run(
        tmp_path, _pipeline(_example("docs/summary.md", "cibridge/summary@1.0.0")), variables
    )
    assert run.code == 0, run.output
    assert "PASS  cibridge-summary" in run.output, run.output
    reads = [r.path for r in stand_ins.received if r.service == "gitlab"]
    assert [p.rsplit("/", 1)[1] for p in reads] == [
        "jobs?per_page=100&page=1",
        "bridges?per_page=100&page=1",
    ]
    [slack] = stand_ins.of("slack")
    text = json.dumps(slack.json, ensure_ascii=False)
    assert "❌ test — Failed" in text and "stage `test` (script_failure)" in text
    assert "cibridge-summary" not in text


def test_the_release_example_is_one_thread_across_two_jobs(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/release.md's pipeline: the notify and jira components' jobs report into one
    thread, the second finding the first's parent by its metadata."""
    from cibridge.demo.standins.slack import SLACK_TOKEN

    env = stand_ins.env()
    variables = {
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "JIRA_BASE_URL": env["JIRA_BASE_URL"],
        "JIRA_USER_EMAIL": env["JIRA_USER_EMAIL"],
        "JIRA_API_TOKEN": JIRA_TOKEN,
    }
    config = _example("docs/release.md", "lookback_days: 30").text
    pipeline = _pipeline(_example("docs/release.md", "jira@1.0.0"))
    run = _run(tmp_path, pipeline, variables, {".cibridge.yml": config})
    assert run.code == 0, run.output
    messages = stand_ins.behaviour.slack_messages
    (parent,) = [
        ts.split("/")[1]
        for ts, m in messages.items()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
    ]
    assert (
        parent and messages[f"C0DEPLOYS/{parent}"]["metadata"]["event_payload"]["release"] == "main"
    )
    stages = sorted(
        m["metadata"]["event_payload"]["release_stage"]
        for m in messages.values()
        if m.get("thread_ts") == parent
    )
    assert stages == ["deploy production", "jira"], run.output
    assert jira_of(stand_ins).issue("PROJ-1").status == "Done"
