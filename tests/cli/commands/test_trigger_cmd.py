"""`cibridge trigger` against the Jira stand-in (every v3 request checked against Atlassian's
OpenAPI description) and the GitHub / GitLab API stand-ins, with the seed's rules unchanged."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from cibridge.core import signing
from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GITLAB_JOB_TOKEN,
    GITLAB_TRIGGER_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
    jira_of,
)
from cibridge.trigger.once import PROPERTY
from tests.trigger.helpers import SEED, configs, seed_projects


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


@pytest.fixture
def env(stand_ins: StandIns) -> dict[str, str]:
    seed_projects(stand_ins)
    return {
        **stand_ins.env(),
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_TRIGGER_KEY": TRIGGER_KEY,
    }


TRIGGER_KEY = "0f" * 32


def _outputs(out: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in ("pipelines", "dispatched", "skipped", "failed"):
            found[key] = value
    return found


def test_dispatch_without_a_trigger_key_is_a_usage_error_saying_how_to_make_one(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    key = jira_of(stand_ins).add_issue("PROJ1", "Ship it", status="Ready for Deployment")
    argv = [*configs(tmp_path), "trigger", "--issue", key, "--dispatch"]
    done = cli(*argv, env={**env, "CIBRIDGE_TRIGGER_KEY": " "})
    assert done.code == 2, done.all
    assert "CIBRIDGE_TRIGGER_KEY" in done.err and "openssl rand -hex 32" in done.err
    assert _github(stand_ins).dispatches == []


def test_a_forged_entry_for_the_change_is_ignored_and_the_key_never_shown(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    entry = "issue_status_trigger|project1-deployment-pipeline|status:initial"
    forged = {"run": "https://evil.example/run\x1b[2J", "target": "x", "at": "", "sig": "00"}
    jira.state.issues[key].properties[PROPERTY] = {"version": 1, "dispatched": {entry: forged}}
    done = cli(*configs(tmp_path), "trigger", "--issue", key, "--dispatch", env=env)
    assert done.code == 0, done.all
    assert len(_github(stand_ins).dispatches) == 1  # the forgery did not stop the deploy
    assert "signature does not match CIBRIDGE_TRIGGER_KEY: ignored" in done.all
    assert "evil.example" not in done.all and TRIGGER_KEY not in done.all
    stored = jira.issue(key).properties[PROPERTY]["dispatched"][entry]
    assert stored["run"] != forged["run"] and len(stored["sig"]) == 64


def test_status_rule_dispatches_once_and_a_rerun_names_the_first_run(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    argv = [*configs(tmp_path), "trigger", "--issue", key, "--dispatch"]
    first = cli(*argv, env={**env, "GITHUB_ACTIONS": "", "CI_JOB_ID": ""})
    assert first.code == 0, first.all
    (sent,) = _github(stand_ins).dispatches
    assert sent["workflow"] == "project1-deployment-pipeline.yml" and sent["ref"] == "main"
    assert sent["inputs"] == {
        "issue_key": key,
        "summary": "Ship it",
        "version": "",
        "environment": "",
    }
    outputs = _outputs(first.out)
    assert json.loads(outputs["pipelines"]) == [
        {
            "pipeline": "project1-deployment-pipeline",
            "issue": key,
            "rule": "issue_status_trigger",
            "target": "github:acme/checkout/project1-deployment-pipeline.yml",
        }
    ]
    assert outputs["dispatched"] == "1" and outputs["skipped"] == "0"
    record = jira.issue(key).properties[PROPERTY]["dispatched"]
    assert list(record) == ["issue_status_trigger|project1-deployment-pipeline|status:initial"]
    second = cli(*argv, env=env)
    assert second.code == 0, second.all
    assert len(_github(stand_ins).dispatches) == 1
    assert "already dispatched by a local run" in second.out
    assert _outputs(second.out)["skipped"] == "1" and _outputs(second.out)["dispatched"] == "0"
    assert jira.spec_rejections == []
    assert GITHUB_API_TOKEN not in first.all + second.all


def test_moving_out_and_back_in_is_a_new_change_and_deploys_again(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from cibridge.demo.standins import jira_changelog

    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Twice", issue_type="Bug", status="Ready for Deployment")
    argv = [*configs(tmp_path), "trigger", "--issue", key, "--dispatch"]
    assert cli(*argv, env=env).code == 0
    # Deploy, then back to Ready for Deployment: the history says it arrived again.
    with jira._lock:
        issue = jira.state.issues[key]
        issue.status = "Deployed"
        jira_changelog.record(
            jira.state, key, [jira_changelog.status_item("Ready for Deployment", "Deployed")]
        )
        issue.status = "Ready for Deployment"
        jira_changelog.record(
            jira.state, key, [jira_changelog.status_item("Deployed", "Ready for Deployment")]
        )
    again = cli(*argv, env=env)
    assert again.code == 0, again.all
    assert len(_github(stand_ins).dispatches) == 2
    assert cli(*argv, env=env).code == 0
    assert len(_github(stand_ins).dispatches) == 2  # that change, too, starts one run only
    assert jira.spec_rejections == []


def _released(tmp_path: Path, version_id: str = "10101", name: str = "v1.2.3") -> Path:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"webhookEvent": "jira:version_released", "version": {"id": version_id, "name": name}}
        )
    )
    return event


def test_a_label_rule_on_an_issue_event_and_the_release_on_its_own_event(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.state.versions["10101"].released = True  # v1.2.3, PROJ-4's fix version
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    done = cli(*configs(tmp_path), "trigger", "--issue", "PROJ-4", "--dispatch", env=env)
    assert done.code == 0, done.all
    (github,) = _github(stand_ins).dispatches
    assert github["workflow"] == "production-deployment-pipeline.yml"
    assert github["inputs"]["environment"] == "production"  # from pipelines.<name>.environment
    # An issue event is not a release: the version rule waits for the release itself.
    assert _gitlab(stand_ins).pipelines == []
    released = cli(
        *configs(tmp_path), "trigger", "--event-file", str(_released(tmp_path)), "--dispatch",
        env=env,
    )  # fmt: skip
    assert released.code == 0, released.all
    (gitlab,) = _gitlab(stand_ins).pipelines
    assert gitlab["source"] == "trigger" and gitlab["ref"] == "main"
    assert gitlab["variables"] == {
        "DEPLOY_ISSUE_KEY": "PROJ-2,PROJ-4",
        "DEPLOY_ISSUE_SUMMARY": "v1.2.3: 2 issues",
        "DEPLOY_VERSION": "v1.2.3",
        "DEPLOY_ENVIRONMENT": "",
    }
    rules = {p["rule"] for p in json.loads(_outputs(released.out)["pipelines"])}
    assert rules == {"version_trigger"}
    assert GITLAB_TRIGGER_TOKEN not in done.all + released.all


def test_a_release_starts_its_pipeline_once_whatever_its_issues_do_later(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.state.versions["10101"].released = True
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    argv = [*configs(tmp_path), "trigger", "--event-file", str(_released(tmp_path)), "--dispatch"]
    assert cli(*argv, env=env).code == 0
    assert len(_gitlab(stand_ins).pipelines) == 1  # two issues, one release, one pipeline
    for key in ("PROJ-2", "PROJ-4"):  # each issue's record names the release's dispatch
        entries = jira.state.issues[key].properties[PROPERTY]["dispatched"]
        assert list(entries) == ["version_trigger|version-deployment-pipeline|version:10101"]
    # A new issue given the old released version, then Jira delivering the release again.
    jira.add_issue("PROJ", "Late fix", fix_versions=["v1.2.3"])
    again = cli(*argv, env=env)
    assert again.code == 0, again.all
    assert len(_gitlab(stand_ins).pipelines) == 1
    assert "already dispatched by" in again.out
    assert jira.spec_rejections == []


def test_a_poll_starts_recent_releases_and_never_historical_ones(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    jira.state.versions["10101"].released = True
    jira.state.versions["10101"].release_date = today
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    argv = [*configs(tmp_path), "trigger", "--poll", "--dispatch"]
    first = cli(*argv, env=env)
    assert first.code == 0, first.all
    variables = [p["variables"] for p in _gitlab(stand_ins).pipelines]
    # v1.2.2 was released in 2024: the first poll records nothing for it and starts nothing.
    assert [v["DEPLOY_VERSION"] for v in variables] == ["v1.2.3"]
    assert "v1.2.2 was released on 2024-04-02, before this poll's window" in first.out
    assert cli(*argv, env=env).code == 0
    assert len(_gitlab(stand_ins).pipelines) == 1


def test_released_within_must_be_a_duration(cli, env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "rules.yml"
    config.write_text(
        SEED.read_text().replace(
            "version_pattern:", "released_within: a while\n      version_pattern:", 1
        )
    )
    done = cli("--config", str(config), "trigger", "--poll", env=env)
    assert done.code == 2, done.all
    assert "released_within" in done.err and "'a while' is not a duration" in done.err


def test_two_labels_mapped_to_one_pipeline_start_it_once(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Both", labels=["deploy-to-prod", "release-candidate"])
    config = tmp_path / "rules.yml"
    config.write_text(
        SEED.read_text().replace('"release-candidate": "staging-deployment-pipeline"',
                                 '"release-candidate": "production-deployment-pipeline"')
    )  # fmt: skip
    argv = ["--config", str(config), "--config", str(configs(tmp_path)[-1])]
    done = cli(*argv, "trigger", "--issue", key, "--dispatch", env=env)
    assert done.code == 0, done.all
    assert len(_github(stand_ins).dispatches) == 1
    assert "started once for label deploy-to-prod and label release-candidate" in done.out
    again = cli(*argv, "trigger", "--issue", key, "--dispatch", env=env)
    assert again.code == 0 and len(_github(stand_ins).dispatches) == 1


def test_nothing_to_deploy_says_why_per_rule(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    done = cli(*configs(tmp_path), "trigger", "--issue", "PROJ-3", "--dispatch", env=env)
    assert done.code == 0, done.all
    assert "nothing to deploy" in done.out
    assert "issue_status_trigger: issue type Task is not one of Story, Bug" in done.out
    assert "label_trigger: the issue has no labels" in done.out
    assert "version_trigger: fires on a release" in done.out
    assert _outputs(done.out)["pipelines"] == "[]"
    assert _github(stand_ins).dispatches == []


@pytest.mark.parametrize(
    ("pipelines", "token", "message"),
    [
        (
            "pipelines: {project1-deployment-pipeline: {github: {repository: acme/checkout, "
            "workflow: ci.yml}}}\n",
            GITHUB_API_TOKEN,
            "HTTP 422: Workflow does not have 'workflow_dispatch' trigger",
        ),
        (
            "pipelines: {project1-deployment-pipeline: {github: {repository: acme/missing}}}\n",
            GITHUB_API_TOKEN,
            "HTTP 404: Not Found",
        ),
        ("", "ghs_wrong", "HTTP 401: Bad credentials"),
    ],
)
def test_a_refused_dispatch_is_exit_1_with_githubs_message_and_records_nothing(
    cli,
    stand_ins: StandIns,
    env: dict[str, str],
    tmp_path: Path,
    pipelines: str,
    token: str,
    message: str,
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Refused", issue_type="Story", status="Ready for Deployment")
    base = "pipelines: {project1-deployment-pipeline: {github: {repository: acme/checkout}}}\n"
    done = cli(
        *configs(tmp_path, pipelines or base),
        "trigger",
        "--issue",
        key,
        "--dispatch",
        env={**env, "GITHUB_TOKEN": token},
    )
    assert done.code == 1, done.all
    assert message in done.err
    assert PROPERTY not in jira.issue(key).properties
    assert _outputs(done.out)["failed"] == "1"


def test_dry_run_prints_the_dispatch_and_writes_nothing(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Dry", issue_type="Story", status="Ready for Deployment")
    done = cli(*configs(tmp_path), "--dry-run", "trigger", "--issue", key, "--dispatch", env=env)
    assert done.code == 0, done.all
    assert "/actions/workflows/project1-deployment-pipeline.yml/dispatches" in done.out
    assert "would start acme/checkout" in done.out
    assert f"then would record it in {PROPERTY} of {key}" in done.out
    assert _github(stand_ins).dispatches == []
    assert PROPERTY not in jira.issue(key).properties
    writes = [r for r in stand_ins.of("jira") if not r.path.split("?")[0].endswith("changelog")]
    assert all("properties" not in r.path or r.raw == b"" for r in writes)


def test_a_signed_webhook_body_is_verified_before_anything_is_read(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Signed", issue_type="Story", status="Ready for Deployment")
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"key": key, "fields": {"status": {"name": "Ready for Deployment"}}},
            "changelog": {"id": "1", "items": [{"field": "status", "toString": "Done"}]},
        }
    ).encode()
    event = tmp_path / "event.json"
    event.write_bytes(body)
    secret = "webhook-secret-canary"
    env = {**env, "JIRA_WEBHOOK_SECRET": secret}
    argv = [*configs(tmp_path), "trigger", "--event-file", str(event), "--dispatch"]
    argv += ["--secret-env", "JIRA_WEBHOOK_SECRET"]
    forged = cli(*argv, "--signature", signing.sign(body, "another secret"), env=env)
    assert forged.code == 1 and "signature does not match" in forged.err
    unsigned = cli(*argv, env=env)
    assert unsigned.code == 1 and "not signed" in unsigned.err
    assert stand_ins.received == []  # neither Jira nor GitHub heard of it
    good = cli(*argv, "--signature", signing.sign(body, secret), env=env)
    assert good.code == 0, good.all
    assert len(_github(stand_ins).dispatches) == 1
    assert secret not in forged.all + unsigned.all + good.all


def test_a_forged_payload_cannot_deploy_what_jira_does_not_say(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    event = tmp_path / "event.json"
    # PROJ-3 is a Task In Review; the payload claims a Story ready to deploy.
    fields = {"status": {"name": "Ready for Deployment"}, "issuetype": {"name": "Story"}}
    event.write_text(json.dumps({"issue": {"key": "PROJ-3", "fields": fields}}))
    done = cli(*configs(tmp_path), "trigger", "--event-file", str(event), "--dispatch", env=env)
    assert done.code == 0 and "nothing to deploy" in done.out
    assert _github(stand_ins).dispatches == []


def test_repository_dispatch_from_jira_automation_defaults_to_this_repository(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue(
        "PROJ1", "From Automation", issue_type="Bug", status="Ready for Deployment"
    )
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "jira",
                "client_payload": {"issue_key": key.lower()},
                "repository": {"full_name": "acme/checkout", "default_branch": "release"},
            }
        )
    )
    output, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    github_env = {
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "repository_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "77",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = cli("--config", str(SEED), "trigger", "--dispatch", env=github_env)
    assert done.code == 0, done.all
    (sent,) = _github(stand_ins).dispatches
    assert sent["workflow"] == "project1-deployment-pipeline.yml"
    assert sent["ref"] == "release"  # the default branch, from the event payload
    record = jira.issue(key).properties[PROPERTY]["dispatched"]
    (entry,) = record.values()
    assert entry["run"] == "https://github.com/acme/checkout/actions/runs/77"
    assert "| issue | rule | pipeline | target | result |" in summary.read_text()
    written = re.findall(r"(\w+)<<(\S+)\n(.*?)\n\2\n", output.read_text(), re.S)
    assert {name: value for name, _, value in written}["dispatched"] == "1"


def test_gitlab_job_token_and_api_token(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    first = jira.add_issue("PROJ1", "Job token", issue_type="Story", status="Ready for Deployment")
    second = jira.add_issue("PROJ1", "API token", issue_type="Story", status="Ready for Deployment")
    pipelines = "pipelines: {project1-deployment-pipeline: {gitlab: {project: '42'}}}\n"
    argv = [*configs(tmp_path, pipelines), "trigger", "--dispatch", "--issue"]
    gitlab_env = {**env, "CI_PROJECT_ID": "42", "CI_DEFAULT_BRANCH": "main"}
    job = cli(*argv, first, env={**gitlab_env, "CI_JOB_TOKEN": GITLAB_JOB_TOKEN})
    assert job.code == 0, job.all
    api = cli(*argv, second, env={**gitlab_env, "GITLAB_TOKEN": GITLAB_API_TOKEN})
    assert api.code == 0, api.all
    sources = [
        (p["source"], p["variables"]["DEPLOY_ISSUE_KEY"]) for p in _gitlab(stand_ins).pipelines
    ]
    assert sources == [("pipeline", first), ("api", second)]
    wrong = cli(*argv, first, env={**gitlab_env, "GITLAB_TRIGGER_TOKEN": "glptt-wrong"})
    assert wrong.code == 0 and "already dispatched" in wrong.out  # the record is read first


def test_poll_dispatches_each_candidate_once(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    keys = [
        jira.add_issue("PROJ1", f"Story {n}", issue_type="Story", status="Ready for Deployment")
        for n in range(130)  # more than one page of /search/jql
    ]
    jira.add_issue("PROJ1", "Not ready", issue_type="Story", status="In Progress")
    argv = [
        *configs(tmp_path),
        "trigger",
        "--poll",
        "--dispatch",
        "--poll-filter",
        "project = PROJ1",
    ]
    first = cli(*argv, env=env)
    assert first.code == 0, first.all
    started = sorted(d["inputs"]["issue_key"] for d in _github(stand_ins).dispatches)
    assert started == sorted(keys)
    searches = [r for r in stand_ins.of("jira") if r.path.endswith("/search/jql")]
    assert any(json.loads(r.raw).get("nextPageToken") for r in searches)
    before = len(stand_ins.of("jira"))
    second = cli(*argv, env=env)
    assert second.code == 0, second.all
    assert len(_github(stand_ins).dispatches) == 130
    # The searches carry each record and history: the steady-state poll is searches only.
    paths = {r.path.split("?")[0].rsplit("/", 1)[-1] for r in stand_ins.of("jira")[before:]}
    assert paths == {"jql"}
    assert _outputs(second.out)["skipped"] == "130"
    assert jira.spec_rejections == []


def test_version_released_event_reads_the_versions_issues(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.state.versions["10101"].released = True
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"webhookEvent": "jira:version_released", "version": {"id": "10101", "name": "v1.2.3"}}
        )
    )
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    done = cli(*configs(tmp_path), "trigger", "--event-file", str(event), "--dispatch", env=env)
    assert done.code == 0, done.all
    issues = [p["variables"]["DEPLOY_ISSUE_KEY"] for p in _gitlab(stand_ins).pipelines]
    assert issues == ["PROJ-2,PROJ-4"]  # one release, one pipeline, with both its issues
    assert _github(stand_ins).dispatches == []  # only the version rule applies to a release


def test_no_issue_and_no_rules_are_usage_errors(cli, env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    none = cli(*configs(tmp_path), "trigger", env=env)
    assert none.code == 2 and "no Jira issue" in none.err
    empty = tmp_path / "empty.yml"
    empty.write_text("notify: {}\n")
    rules = cli("--config", str(empty), "trigger", "--issue", "PROJ-1", env=env)
    assert rules.code == 2 and "no deployment_triggers.jira rules" in rules.err


def test_data_center_v2_reads_and_polls_once(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "On v2", issue_type="Story", status="Ready for Deployment")
    env = {**env, "JIRA_API_VERSION": "2"}
    argv = [*configs(tmp_path), "trigger", "--dispatch"]
    first = cli(*argv, "--issue", key, env=env)
    assert first.code == 0, first.all
    polled = cli(*argv, "--poll", "--poll-filter", "project = PROJ1", env=env)
    assert polled.code == 0, polled.all
    assert len(_github(stand_ins).dispatches) == 1
    assert _outputs(polled.out)["skipped"] == "1"
    assert any("/rest/api/2/search" in r.path for r in stand_ins.of("jira"))


def test_an_issue_jira_does_not_show_is_exit_1_and_the_others_still_run(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Visible", issue_type="Story", status="Ready for Deployment")
    argv = [*configs(tmp_path), "trigger", "--dispatch", "--issue", "SEC-1", "--issue", key]
    done = cli(*argv, env=env)
    assert done.code == 1, done.all
    assert "SEC-1: Jira SEC-1: HTTP 404: Issue does not exist" in done.err
    assert len(_github(stand_ins).dispatches) == 1
    assert _outputs(done.out)["failed"] == "1" and _outputs(done.out)["dispatched"] == "1"


def test_no_secret_reaches_any_output(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from cibridge.demo.standins import JIRA_TOKEN

    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Canary", issue_type="Story", status="Ready for Deployment")
    other = jira.add_issue("PROJ1", "Refused", issue_type="Story", status="Ready for Deployment")
    canaries = [JIRA_TOKEN, GITHUB_API_TOKEN, GITLAB_TRIGGER_TOKEN, "canary-webhook-secret"]
    body = json.dumps({"issue": {"key": key}}).encode()
    event = tmp_path / "event.json"
    event.write_bytes(body)
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN, "HOOK": "canary-webhook-secret"}
    signed = ["--signature", signing.sign(body, "canary-webhook-secret"), "--secret-env", "HOOK"]
    runs = [
        cli(
            *configs(tmp_path),
            "-v",
            "trigger",
            "--event-file",
            str(event),
            *signed,
            "--dispatch",
            env=env,
        ),
        cli(*configs(tmp_path), "--dry-run", "trigger", "--issue", "PROJ-4", "--dispatch", env=env),
        cli(
            *configs(tmp_path),
            "trigger",
            "--issue",
            other,
            "--dispatch",
            env={**env, "GITHUB_TOKEN": "ghs_canary_refused"},
        ),
    ]
    canaries.append("ghs_canary_refused")
    assert runs[2].code == 1 and "Bad credentials" in runs[2].err
    text = "".join(r.all for r in runs)
    for canary in canaries:
        assert canary not in text


def test_a_rule_whose_query_jira_refuses_does_not_stop_the_others(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    del jira.state.projects["PROJ2"]  # the seed maps PROJ2; this Jira has no such project
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    done = cli(
        *configs(tmp_path),
        "trigger",
        "--poll",
        "--dispatch",
        "--poll-filter",
        "project = PROJ",
        env=env,
    )
    assert done.code == 1, done.all
    assert (
        "poll issue_status_trigger: Jira search: HTTP 400: The value 'PROJ2' does not exist"
        in done.err
    )
    started = {(d["workflow"], d["inputs"]["issue_key"]) for d in _github(stand_ins).dispatches}
    assert ("production-deployment-pipeline.yml", "PROJ-4") in started  # the label rule ran


def test_a_started_pipeline_whose_record_jira_refuses_is_in_the_outputs(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    jira.knobs.forbid("PROJ1")  # writes answer 403: the property cannot be stored
    done = cli(*configs(tmp_path), "trigger", "--issue", key, "--dispatch", env=env)
    assert done.code == 1, done.all
    assert len(_github(stand_ins).dispatches) == 1
    assert "the record could not be written" in done.all and "HTTP 403" in done.all
    outputs = _outputs(done.out)
    assert [p["issue"] for p in json.loads(outputs["pipelines"])] == [key]
    assert outputs["dispatched"] == "1" and outputs["failed"] == "1"


def test_an_issue_a_search_lists_twice_is_dispatched_once(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from cibridge.clients.jira import JiraClient

    search = JiraClient.search

    def twice(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = list(search(*args, **kwargs))
        yield from found + found  # as v2 paging can, while issues change

    monkeypatch.setattr(JiraClient, "search", twice)
    jira_of(stand_ins).state.versions["10101"].released = True
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"webhookEvent": "jira:version_released", "version": {"name": "v1.2.3"}})
    )
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    done = cli(*configs(tmp_path), "trigger", "--event-file", str(event), "--dispatch", env=env)
    assert done.code == 0, done.all
    issues = [p["variables"]["DEPLOY_ISSUE_KEY"] for p in _gitlab(stand_ins).pipelines]
    assert issues == ["PROJ-2,PROJ-4"]


def test_a_webhook_body_cannot_issue_workflow_commands(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.github_job import commands_obeyed

    name = "v9\n::error title=x::FORGED\n::add-mask::main\n::stop-commands::zzz"
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"webhookEvent": "jira:version_released", "version": {"name": name}})
    )
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done = cli(*configs(tmp_path), "trigger", "--event-file", str(event), env={**env, **github})
    assert "::error title=x::FORGED" in done.out  # shown as text
    obeyed = commands_obeyed(done.out)
    # Only cibridge's own commands (its annotations carry the text escaped, on one line).
    assert not [c for c in obeyed if c.startswith(("::error title=x", "::stop-commands::zzz"))]
    assert "::add-mask::main" not in obeyed


def test_a_long_pipelines_output_fits_gitlabs_dotenv_report(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    for n in range(45):
        jira.add_issue("PROJ1", f"S{n}", issue_type="Story", status="Ready for Deployment")
    dotenv = tmp_path / "cibridge-trigger.env"
    gitlab = {"GITLAB_CI": "true", "CIBRIDGE_DOTENV": str(dotenv), "CI_JOB_ID": "7"}
    gitlab["GITLAB_TRIGGER_TOKEN"] = GITLAB_TRIGGER_TOKEN
    done = cli(*configs(tmp_path), "trigger", "--poll", "--dispatch", env={**env, **gitlab})
    assert done.code == 0, done.all
    started = len(_github(stand_ins).dispatches) + len(_gitlab(stand_ins).pipelines)
    assert started > 45  # the seeded candidates and the seed's own matches
    values = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    assert values["dispatched"] == str(started) and values["failed"] == "0"
    listed = json.loads(values["pipelines"])
    assert 0 < len(listed) < started and len(dotenv.read_bytes()) <= 5 * 1024
    assert f"lists {len(listed)} of {started}" in done.all


def test_an_erased_record_cannot_redeploy_what_the_target_shows_it_ran(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The record lives on the issue, which its editors can erase; a run whose title shows
    the change id is the target's own word that the change started it."""
    from cibridge.demo.standins.github_api import Workflow

    github = _github(stand_ins)
    workflows = github.repositories["acme/checkout"].workflows
    workflows["project1-deployment-pipeline.yml"] = Workflow(
        {"issue_key": True, "change_id": True}, run_name="Deploy ${{ inputs.change_id }}"
    )
    pipelines = (
        "pipelines:\n  project1-deployment-pipeline:\n    github:\n"
        "      repository: acme/checkout\n      workflow: project1-deployment-pipeline.yml\n"
        "      inputs: {issue_key: '{{ issue_key }}', change_id: '{{ change_id }}'}\n"
    )
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    argv = [*configs(tmp_path, pipelines), "trigger", "--issue", key, "--dispatch"]
    assert cli(*argv, env=env).code == 0
    [first] = github.dispatches
    assert first["inputs"]["change_id"].startswith("cib-")
    del jira.state.issues[key].properties[PROPERTY]  # an issue editor clears the record
    again = cli(*argv, env=env)
    assert again.code == 0, again.all
    assert len(github.dispatches) == 1
    assert f"shows a run carrying {first['inputs']['change_id']}" in again.out
    assert PROPERTY in jira.state.issues[key].properties  # written again, signed
    asked = [r for r in stand_ins.of("github") if "/runs" in r.path]
    assert len(asked) == 2 and "event=workflow_dispatch" in asked[0].path


def test_gitlab_confirms_through_the_pipeline_name_and_needs_a_token_to_list(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    gitlab = _gitlab(stand_ins)
    gitlab.projects[42].workflow_name = "deploy $DEPLOY_CHANGE_ID"
    pipelines = (
        "pipelines:\n  project1-deployment-pipeline:\n    gitlab:\n"
        "      project: acme/checkout\n      ref: main\n"
        "      variables: {DEPLOY_ISSUE_KEY: '{{ issue_key }}', DEPLOY_CHANGE_ID: '{{ change_id }}'}\n"
    )
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    argv = [*configs(tmp_path, pipelines), "trigger", "--issue", key, "--dispatch"]
    trigger_only = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    refused = cli(*argv, env=trigger_only)
    assert refused.code == 2 and "set GITLAB_TOKEN" in refused.all  # a setting missing
    assert gitlab.pipelines == []  # not confirmed, not started
    with_api = {**env, "GITLAB_TOKEN": GITLAB_API_TOKEN}
    assert cli(*argv, env=with_api).code == 0
    del jira.state.issues[key].properties[PROPERTY]
    again = cli(*argv, env=with_api)
    assert again.code == 0, again.all
    assert len(gitlab.pipelines) == 1 and "shows a run carrying cib-" in again.out


def test_a_release_starts_only_its_own_version_never_another_on_its_issues(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """An issue editor gives an issue of the upcoming release an old released version: the
    release's delivery starts the release, not the old version (a rollback)."""
    jira = jira_of(stand_ins)
    jira.state.versions["10101"].released = True
    jira.state.issues["PROJ-2"].fix_versions.append("10100")  # v1.2.2, released in 2024
    env = {**env, "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN}
    argv = [*configs(tmp_path), "trigger", "--event-file", str(_released(tmp_path)), "--dispatch"]
    assert cli(*argv, env=env).code == 0
    assert [p["variables"]["DEPLOY_VERSION"] for p in _gitlab(stand_ins).pipelines] == ["v1.2.3"]


def test_the_change_id_is_keyed_with_the_trigger_key() -> None:
    from cibridge.trigger.once import change_id

    key = "issue_status_trigger|p|status:1"
    assert change_id("PROJ-1", key, "a" * 64) != change_id("PROJ-1", key, "b" * 64)
    assert change_id("PROJ-1", key, "a" * 64) == change_id("PROJ-1", key, "a" * 64)
    assert change_id("PROJ-1", key, "a" * 64) != change_id("PROJ-2", key, "a" * 64)


def test_a_short_trigger_key_is_refused(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    key = jira_of(stand_ins).add_issue(
        "PROJ1", "Ship", issue_type="Story", status="Ready for Deployment"
    )
    done = cli(*configs(tmp_path), "trigger", "--issue", key, "--dispatch",
               env={**env, "CIBRIDGE_TRIGGER_KEY": "changeme"})  # fmt: skip
    assert done.code == 2 and "at least 32 characters" in done.err
    assert "changeme" not in done.all
    assert _github(stand_ins).dispatches == []


def test_the_started_pipeline_can_join_this_run_s_event_chain(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """{{ events_chain }} is the trigger run's CDEvents chain: given to the pipeline as
    CIBRIDGE_EVENTS_CHAIN, the release is one chain from the Jira status to the gate."""
    pipelines = (
        "pipelines:\n  project1-deployment-pipeline:\n    gitlab:\n"
        "      project: '42'\n      ref: main\n"
        "      variables: {DEPLOY_ISSUE_KEY: '{{ issue_key }}', CIBRIDGE_EVENTS_CHAIN: '{{ events_chain }}'}\n"
    )
    key = jira_of(stand_ins).add_issue(
        "PROJ1", "Ship", issue_type="Story", status="Ready for Deployment"
    )
    argv = [*configs(tmp_path, pipelines), "trigger", "--dispatch", "--issue", key]
    gitlab_env = {
        **env,
        "CI_PROJECT_ID": "42",
        "CI_DEFAULT_BRANCH": "main",
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
    }
    done = cli(*argv, env={**gitlab_env, "CIBRIDGE_EVENTS_CHAIN": "release-1.5.0"})
    assert done.code == 0, done.all
    [started] = _gitlab(stand_ins).pipelines
    assert started["variables"]["CIBRIDGE_EVENTS_CHAIN"] == "release-1.5.0"
