"""The manual's GitHub Actions examples, run under act against the stand-ins, as a reader
would paste them into a workflow.

Only what a reader changes is changed (``ACT_EDITS``): the action comes from this checkout
instead of ``your-org/cibridge``, the checkout step copies it in, the placeholder sites
(``your-domain.atlassian.net``, ``jira.example.com``) are the stand-ins, the build or
deploy command is ``true`` (or ``false`` for the failure branch) and the secrets are the
stand-ins' credentials. A renamed input, a wrong resolution name or a template the page
does not show fails here, as it would for the reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cibridge.demo.standins import GITHUB_API_TOKEN, GitHubApi, StandIns, jira_of
from cibridge.demo.standins.datadog import DATADOG_API_KEY, DATADOG_APP_KEY, datadog_of
from cibridge.demo.standins.jira import JIRA_PAT, JIRA_TOKEN
from cibridge.demo.standins.slack import SLACK_TOKEN
from tests.doc_examples import GATE_CONFIG, Example, in_service
from tests.doc_examples import example as _example
from tests.e2e.harness import COPY, Run, push_event, run_act

CHECKOUT = re.compile(
    r"^      - uses: actions/checkout@v4[^\n]*\n(?:        with:\n          fetch-depth: 0[^\n]*\n)?",
    re.M,
)


def _workflow(example: Example, stand_ins: StandIns, command: str = "true") -> str:
    """The example as the reader's workflow file, with only the reader's edits."""
    text = example.text
    text = re.sub(r"(?:your-org|<owner>)/cibridge/(\w+)@v1", r"./\1", text)
    text = text.replace("your-org/cibridge@v1", "./")
    jira = f"{stand_ins.base}/jira"
    text = text.replace("https://your-domain.atlassian.net", jira)
    text = text.replace("https://jira.example.com", jira)
    text = text.replace("run: make test", f"run: {command}").replace(
        "run: ./deploy.sh", f"run: {command}"
    )
    if CHECKOUT.search(text):
        text = CHECKOUT.sub(COPY, text)
    else:  # a list of steps: the reader's job around it, checked out first
        steps = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        text = f"jobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n{COPY}{steps}\n"
    assert "your-org" not in text and "<owner>" not in text, text
    # The Web API base is the one thing the reader never sets: the stand-in's address.
    env = (
        f"env:\n  SLACK_API_URL: {stand_ins.base}/slack/api\n"
        f"  DATADOG_API_URL: {stand_ins.base}/datadog\n"
    )
    if re.search(r"^env:\n", text, re.M):  # the workflow's own env: the address joins it
        return re.sub(r"^env:\n", lambda _: env, text, count=1, flags=re.M)
    if re.search(r"^on:", text, re.M):  # a whole workflow, with its own events
        return re.sub(r"^jobs:", lambda _: f"{env}jobs:", text, count=1, flags=re.M)
    return f"on: push\n{env}{text}"


def _run(
    tmp_path: Path,
    workflow: str,
    stand_ins: StandIns,
    files: dict[str, str],
    key: str = "PROJ-1",
    dispatch: dict[str, object] | None = None,
    event_name: str = "repository_dispatch",
) -> Run:
    """Under act, on a push of one commit naming ``key``, or on ``event_name`` with the
    payload ``dispatch``."""
    env = stand_ins.env()
    secrets = {
        "SLACK_WEBHOOK_URL": env["SLACK_WEBHOOK_URL"],
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "DINGTALK_WEBHOOK_URL": env["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": env["DINGTALK_SECRET"],
        "JIRA_USER_EMAIL": env["JIRA_USER_EMAIL"],
        "JIRA_API_TOKEN": JIRA_TOKEN,
        "JIRA_PAT": JIRA_PAT,
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "CIBRIDGE_TRIGGER_KEY": "0f" * 32,
        "DD_API_KEY": DATADOG_API_KEY,
        "DD_APP_KEY": DATADOG_APP_KEY,
    }
    event = push_event(f"{key}: empty carts no longer crash")
    for relative, content in files.items():
        # Written into this checkout's copy inside the job: the reader's repository files.
        workflow = workflow.replace(
            COPY,
            COPY
            + f"      - run: |\n          mkdir -p {Path(relative).parent}\n"
            + f"          cat > {relative} <<'EXAMPLE'\n"
            + "".join(f"          {line}\n" for line in content.splitlines())
            + "          EXAMPLE\n",
            1,
        )
    # The runner sets GITHUB_API_URL (GHES: https://HOST/api/v3); here it is the stand-in.
    github = {"GITHUB_REPOSITORY": "acme/checkout", "GITHUB_API_URL": env["GITHUB_API_URL"]}
    if dispatch is not None:
        event = {**dispatch, "repository": event["repository"]}
    name = "push" if dispatch is None else event_name
    return run_act(tmp_path, workflow, event, env=github, secrets=secrets, event_name=name)


def _received(stand_ins: StandIns, service: str) -> list[str]:
    return [r.path for r in stand_ins.received if r.service == service and 200 <= r.status < 300]


@pytest.mark.parametrize("page", ["README.md", "docs/github-actions.md"])
def test_the_quick_start_notifies_slack_and_dingtalk(
    tmp_path: Path, stand_ins: StandIns, page: str
) -> None:
    run = _run(tmp_path, _workflow(_example(page, "to: slack, dingtalk"), stand_ins), stand_ins, {})
    assert run.code == 0, run.output
    assert (
        "| Slack | ✅ | delivered |" in run.output and "| DingTalk | ✅ | delivered |" in run.output
    )
    assert len(_received(stand_ins, "slack")) == 1 and len(_received(stand_ins, "dingtalk")) == 1


@pytest.mark.parametrize("command", ["true", "false"])
def test_the_deploy_message_is_updated_in_place_and_a_failure_gets_its_thread_reply(
    tmp_path: Path, stand_ins: StandIns, command: str
) -> None:
    """docs/github-actions.md's deploy example, with the thread reply's template the page
    shows written where the example reads it."""
    template = _example("docs/github-actions.md", "failure-details.yml.j2: a reply").text
    workflow = _workflow(_example("docs/github-actions.md", "event: deploy"), stand_ins, command)
    files = {".cibridge/templates/slack/failure-details.yml.j2": template}
    run = _run(tmp_path, workflow, stand_ins, files)
    methods = [path.split("?")[0].rsplit("/", 1)[1] for path in _received(stand_ins, "slack")]
    if command == "true":
        assert run.code == 0, run.output
        assert methods == ["chat.postMessage", "conversations.history", "chat.update"], methods
    else:
        assert run.code != 0 and "Job failed" in run.output, run.output
        assert methods == [
            "chat.postMessage",
            "conversations.history",
            "chat.update",
            "chat.postMessage",  # the reply, in the first message's thread
        ], run.output
        reply = [r for r in stand_ins.received if r.path.endswith("chat.postMessage")][-1]
        assert b'"thread_ts"' in reply.raw and b"failed at" in reply.raw


def test_the_root_action_example_renders(tmp_path: Path, stand_ins: StandIns) -> None:
    workflow = _workflow(_example("docs/github-actions.md", "command: render"), stand_ins)
    workflow += "      - run: test -s message.json && grep -q blocks message.json\n"
    run = _run(tmp_path, workflow, stand_ins, {})
    assert run.code == 0, run.output


@pytest.mark.parametrize(
    ("marker", "site", "status"),
    [("# GitHub Actions (Cloud)", "Cloud", "Done"), ("jira-pat:", "DataCenter", "Deployed")],
)
def test_the_jira_examples_move_the_pushed_issue(
    tmp_path: Path, stand_ins: StandIns, marker: str, site: str, status: str
) -> None:
    jira = jira_of(stand_ins)
    jira.knobs.deployment_type = site  # what the example's site says it is, asked once
    key = "PROJ-1"
    if status == "Deployed":  # a site whose workflow has that status, one step away
        key = jira.add_issue("PROJ", "Ship it", status="Ready for Deployment")
    workflow = _workflow(_example("docs/jira.md", marker), stand_ins)
    run = _run(tmp_path, workflow, stand_ins, {}, key)
    assert run.code == 0, run.output
    issue = jira.issue(key)
    assert issue.status == status, run.output
    assert len(issue.comments) == 1
    api = "2" if site == "DataCenter" else "3"  # as the example's comment says
    assert f"/jira/rest/api/{api}/issue/{key}/comment" in _received(stand_ins, "jira")


def test_the_receiving_workflow_starts_the_mapped_pipeline_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/trigger.md's receiving workflow, with the page's rules as .cibridge.yml, on the
    repository_dispatch a Jira Automation rule sends; delivered twice, it starts one run."""
    from tests.trigger.helpers import seed_projects

    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    key = jira.add_issue(
        "PROJ1", "Ship checkout", issue_type="Story", status="Ready for Deployment"
    )
    rules = _example("docs/trigger.md", "issue_status_trigger:").text
    workflow = _workflow(_example("docs/trigger.md", "types: [jira-deploy]"), stand_ins)
    dispatch = {"action": "jira-deploy", "client_payload": {"issue_key": key}}
    first = _run(tmp_path / "1", workflow, stand_ins, {".cibridge.yml": rules}, key, dispatch)
    again = _run(tmp_path / "2", workflow, stand_ins, {".cibridge.yml": rules}, key, dispatch)
    assert first.code == 0 and again.code == 0, first.output + again.output
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    (sent,) = github.dispatches
    assert (sent["workflow"], sent["inputs"]["issue_key"]) == (
        "project1-deployment-pipeline.yml",
        key,
    )


# The reader's deploy job, which the example's `needs: deploy` names.
DEPLOY_JOB = """  deploy:
    runs-on: ubuntu-latest
    outputs:
      finished-at: ${{ steps.deploy.outputs.at }}
    steps:
      - id: deploy
        run: echo "at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"
"""


def test_the_gate_example_passes_a_healthy_deploy(tmp_path: Path, stand_ins: StandIns) -> None:
    from cibridge.demo.gate import DemoService
    from tests.e2e.harness import prometheus

    example = _example("docs/gate.md", "prometheus-token: ${{ secrets.PROMETHEUS_TOKEN }}")
    with DemoService() as service, prometheus(tmp_path) as base:
        text = in_service(example.text, service.port)
        text = "jobs:\n" + DEPLOY_JOB + text.replace("https://prometheus.example.com", base)
        workflow = _workflow(Example(example.page, example.line, "yaml", text), stand_ins)
        run = _run(tmp_path, workflow, stand_ins, {".cibridge.yml": GATE_CONFIG})
    assert run.code == 0, run.output
    assert "✅  Success - Main ./gate" in run.output, run.output
    assert "gh workflow run" not in run.output.split("Success - Main ./gate", 1)[1]
    port = service.port  # the example's set: reached every check through its placeholders
    for check in ("availability", f"GET http://127.0.0.1:{port}/health", f"tcp 127.0.0.1:{port}"):
        assert re.search(rf"\| {re.escape(check)} \|.*\| ✅ pass \|", run.output), check


def test_the_gate_report_lands_in_the_deploy_messages_thread(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/gate.md's notify step after the gate: the JSON report, the JUnit file and the
    chart are uploaded into the thread of the message it posts."""
    from cibridge.demo.gate import DemoService
    from tests.e2e.harness import prometheus

    example = _example("docs/gate.md", "cibridge-gate.json\n            gate.xml")
    with DemoService() as service, prometheus(tmp_path) as base:
        text = in_service(example.text, service.port)
        text = text.replace("https://prometheus.example.com", base)
        workflow = _workflow(Example(example.page, example.line, "yaml", text), stand_ins)
        run = _run(tmp_path, workflow, stand_ins, {".cibridge.yml": GATE_CONFIG})
    assert run.code == 0, run.output
    posted = next(r for r in stand_ins.of("slack") if r.path.endswith("/chat.postMessage"))
    ts = json.loads(posted.answer)["ts"]
    shared = [
        f["name"]
        for m in stand_ins.behaviour.slack_messages.values()
        if m.get("thread_ts") == ts
        for f in m["files"]
    ]
    assert shared == ["cibridge-gate.json", "gate.xml", "gate.svg"], run.output
    report = next(f for f in stand_ins.behaviour.slack_files.values() if f["name"].endswith("json"))
    assert json.loads(report["data"])["result"] == "pass"


def test_the_attach_example_uploads_the_test_report_into_the_thread(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/notify.md's `attach` step: the report the reader's test step wrote (here
    written beforehand; the test command is `true`) lands in the message's thread."""
    example = _example("docs/notify.md", "pytest.xml")
    text = example.text.replace("run: pytest --junitxml=pytest.xml", "run: true")
    workflow = _workflow(Example(example.page, example.line, "yaml", text), stand_ins)
    files = {"pytest.xml": '<testsuite name="unit" tests="1"/>'}
    run = _run(tmp_path, workflow, stand_ins, files)
    assert run.code == 0, run.output
    posted = next(r for r in stand_ins.of("slack") if r.path.endswith("/chat.postMessage"))
    ts = json.loads(posted.answer)["ts"]
    shared = [
        f["name"]
        for m in stand_ins.behaviour.slack_messages.values()
        if m.get("thread_ts") == ts
        for f in m["files"]
    ]
    assert shared == ["pytest.xml"], run.output


DATADOG_QUERY = (
    "sum:trace.http.request.errors{service:checkout,env:production} by {version}.as_rate()"
)


@pytest.mark.parametrize(("errors", "verdict"), [(0.1, "pass"), (0.8, "fail")])
def test_the_datadog_example_judges_the_deploy_and_records_it_in_dora(
    tmp_path: Path, stand_ins: StandIns, errors: float, verdict: str
) -> None:
    """docs/gate.md's Datadog step with its configuration: the check runs in Datadog (the
    stand-in), the verdict follows the error rate, and the deployment reaches DORA."""
    datadog = datadog_of(stand_ins)
    datadog.series[DATADOG_QUERY] = lambda _t: {("version:1.5.0",): errors}
    config = _example("docs/gate.md", "app_key_ref: datadog-app-key").text
    step = _example("docs/gate.md", "datadog-site: datadoghq.eu\n          datadog-api-key")
    # The reader's deploy finished before the check's 5 minutes: one look back, no wait.
    text = step.text.replace(
        "set: service_name=checkout", "set: service_name=checkout\n          deployed-at: '-6m'"
    )
    workflow = _workflow(Example(step.page, step.line, "yaml", text), stand_ins)
    run = _run(tmp_path, workflow, stand_ins, {".cibridge.yml": config})
    assert (run.code == 0) is (verdict == "pass"), run.output
    assert re.search(
        rf"\| error\\_rate \|.*\| {'✅ pass' if verdict == 'pass' else '❌ fail'} \|", run.output
    ), run.output
    (deployment,) = datadog.deployments
    assert deployment["service"] == "checkout" and deployment["git"]["commit_sha"]
    # No rollback_policy in the page's file: a failure alerts, it is not a change failure.
    assert datadog.failures == []


def test_the_scheduled_poll_starts_each_ready_issue_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/trigger.md's polling workflow on its schedule, twice: the ready issue starts its
    pipeline once; an issue that is not ready starts nothing."""
    from tests.trigger.helpers import seed_projects

    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    ready = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    jira.add_issue("PROJ1", "Not yet", issue_type="Story", status="In Progress")
    rules = _example("docs/trigger.md", "issue_status_trigger:").text
    workflow = _workflow(_example("docs/trigger.md", "poll-filter:"), stand_ins)
    for attempt in ("1", "2"):
        files = {".cibridge.yml": rules}
        schedule = {"schedule": "*/5 * * * *"}
        run = _run(tmp_path / attempt, workflow, stand_ins, files, ready, schedule, "schedule")
        assert run.code == 0, run.output
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    (sent,) = github.dispatches
    assert sent["inputs"]["issue_key"] == ready


def test_the_monitors_example_installs_the_datadog_check_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/gate.md's `rules: datadog` step with the page's Datadog configuration, twice:
    one monitor, and the second run changes nothing."""
    config = _example("docs/gate.md", "app_key_ref: datadog-app-key").text
    workflow = _workflow(_example("docs/gate.md", "rules: datadog\n          datadog"), stand_ins)
    for attempt in ("1", "2"):
        run = _run(tmp_path / attempt, workflow, stand_ins, {".cibridge.yml": config})
        assert run.code == 0, run.output
        action = "added" if attempt == "1" else "unchanged"
        assert re.search(rf"\| - error_rate \(max\): {action}$", run.output, re.M), run.output
    (monitor,) = datadog_of(stand_ins).monitors.values()
    assert monitor["query"].startswith("min(last_5m):sum:trace.http.request.errors{")


def test_the_events_example_publishes_the_deployment_to_nats(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/events.md's job: its notify step publishes the task run and the deployment to
    a real nats-server (the page's vars.NATS_URL is its address)."""
    from tests.e2e.harness import nats_server
    from tests.events.test_nats import stored

    example = _example("docs/events.md", "CIBRIDGE_EVENTS_TO: nats")
    with nats_server(tmp_path) as server:
        text = example.text.replace("${{ vars.NATS_URL }}", server.url)
        workflow = _workflow(Example(example.page, example.line, "yaml", text), stand_ins)
        run = _run(tmp_path, workflow, stand_ins, {})
        messages = stored(server.url, "CDEVENTS")
    assert run.code == 0, run.output
    assert [m[0] for m in messages] == ["cdevents.taskrun.finished", "cdevents.service.deployed"]
    assert messages[1][2]["subject"]["content"]["environment"] == {"id": "production"}
    assert len(stand_ins.of("slack")) == 1


def test_the_summary_example_posts_one_message_for_the_run(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/summary.md: three jobs (one a matrix) and the summary job, under act. act serves
    no jobs API, so the GitHub stand-in lists this run's jobs as GitHub would."""
    from cibridge.demo.standins.github_jobs import job

    repo = "acme/checkout"
    listed = [
        job("build (3.11)", job_id=1, repository=repo),
        job("build (3.12)", job_id=2, repository=repo),
        job("lint", job_id=3, repository=repo),
        job("deploy", job_id=4, repository=repo),
        job("summary", None, job_id=5, repository=repo),
    ]
    next(s for s in stand_ins.services if isinstance(s, GitHubApi)).jobs.any_run[repo] = {
        "1": listed
    }
    workflow = _workflow(
        _example("docs/summary.md", "uses: your-org/cibridge/summary@v1"), stand_ins
    )
    run = _run(tmp_path, workflow, stand_ins, {})
    assert run.code == 0, run.output
    assert "| Slack | ✅ | delivered |" in run.output, run.output
    reads = _received(stand_ins, "github")
    assert (
        len(reads) == 1
        and reads[0].startswith(f"/github-api/repos/{repo}/actions/runs/")
        and reads[0].endswith("/attempts/1/jobs?per_page=100")
    )
    (slack,) = stand_ins.of("slack")
    text = json.dumps(slack.json, ensure_ascii=False)
    assert "Run summary" in text and "build — Succeeded" in text and "2 jobs" in text
    assert "lint" in text and "deploy" in text


def _release_thread(stand_ins: StandIns, key: str) -> list[str]:
    """The stages the replies in release ``key``'s one thread name (one parent, asserted)."""
    messages = stand_ins.behaviour.slack_messages
    parents = [
        ts.split("/")[1]
        for ts, m in messages.items()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
        and m["metadata"]["event_payload"]["release"] == key
    ]
    assert len(parents) == 1, messages
    replies = sorted((ts, m) for ts, m in messages.items() if m.get("thread_ts") == parents[0])
    return [m["metadata"]["event_payload"]["release_stage"] for _, m in replies]


def test_the_release_example_is_one_thread_across_three_jobs(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """docs/release.md's workflow with its .cibridge.yml: build, deploy and gate each run in
    a job of their own and find the same parent by its metadata."""
    from cibridge.demo.gate import DemoService

    example = _example("docs/release.md", "release-stage: gate production")
    config = _example("docs/release.md", "lookback_days: 30").text
    with DemoService() as service:
        # The reader pushes a tag; the harness pushes main, so the workflow runs on it.
        text = in_service(example.text, service.port).replace('tags: ["v*"]', "branches: [main]")
        workflow = _workflow(Example(example.page, example.line, "yaml", text), stand_ins)
        # Each job checks out the reader's repository, .cibridge.yml included.
        workflow = workflow.replace(
            COPY, COPY + "      - run: |\n          cat > .cibridge.yml <<'EXAMPLE'\n"
            + "".join(f"          {line}\n" for line in config.splitlines())
            + "          EXAMPLE\n",
        )  # fmt: skip
        run = _run(tmp_path, workflow, stand_ins, {})
    assert run.code == 0, run.output
    assert _release_thread(stand_ins, "main") == ["build", "deploy production", "gate production"]
    assert run.output.count("found the parent") == 2, run.output
