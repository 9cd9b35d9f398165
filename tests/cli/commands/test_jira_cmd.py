"""`cibridge jira` end to end: against a scripted Jira that checks every request's shape,
against the stateful Jira stand-in (every v3 request checked against Atlassian's OpenAPI
description, every comment against the ADF schema), when Jira misbehaves for some issues,
and recording deployments with --deployment."""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.demo.standins import JIRA_CLIENT_ID, JIRA_CLIENT_SECRET, StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN
from tests import github_job
from tests.conftest import git

# -- against a scripted Jira (pytest-httpserver) ---------------------------------------------
# It checks every request's shape: keys from the commits, one bulkfetch, transitions with
# fields, an ADF comment once per run, an upserted remote link, per-issue verdicts.


EMAIL, TOKEN = "ci@example.com", "jira-canary-token-77"


AUTH = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()


class FakeJira:
    """Just enough state for one run: statuses, comments with properties, remote links."""

    def __init__(self) -> None:
        self.status = {"PROJ-1": "In Progress", "PROJ-2": "Done", "PROJ-3": "In Progress"}
        self.comments: dict[str, list[dict[str, object]]] = {k: [] for k in self.status}
        self.links: dict[str, dict[str, object]] = {}
        self.transitioned: list[tuple[str, dict[str, object]]] = []

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != AUTH:
            return _json({"errorMessages": ["You are not authenticated."], "errors": {}}, 401)
        path = request.path.removeprefix("/rest/api/3/")
        body = request.get_json(silent=True)
        if path == "issue/bulkfetch":
            keys = body["issueIdsOrKeys"]
            assert len(keys) <= 100 and "summary" in body["fields"]
            found = [self._issue(k) for k in keys if k in self.status]
            # Keys Jira does not know are left out; issueErrors is for failures.
            return _json({"issues": found, "issueErrors": []})
        key, _, rest = path.removeprefix("issue/").partition("/")
        if rest == "transitions" and request.method == "GET":
            assert request.args.get("expand") == "transitions.fields"
            if key == "PROJ-3":
                return _json({"transitions": []})  # no permission
            done = {"required": True, "name": "Resolution", "schema": {"type": "resolution"}}
            return _json(
                {
                    "transitions": [
                        {
                            "id": "31",
                            "name": "Finish",
                            "to": {"name": "Done"},
                            "fields": {"resolution": done},
                        },
                        {"id": "21", "name": "Review", "to": {"name": "In Review"}, "fields": {}},
                    ]
                }
            )
        if rest == "transitions":
            if "resolution" not in body.get("fields", {}):
                return _json(
                    {"errorMessages": [], "errors": {"resolution": "Resolution is required."}}, 400
                )
            self.transitioned.append((key, body))
            self.status[key] = "Done"
            return Response(status=204)
        if rest.startswith("comment") and request.method == "GET":
            return _json({"comments": self.comments[key]})
        if rest == "comment":
            assert body["body"]["type"] == "doc" and body["body"]["version"] == 1
            self.comments[key].append(
                {"id": "1", "body": body["body"], "properties": body["properties"]}
            )
            return _json({"id": "1"}, 201)
        if rest == "remotelink":
            self.links[f"{key} {body['globalId']}"] = body["object"]
            return _json({"id": 1}, 201)
        return _json({"errorMessages": [f"unexpected {request.method} {request.path}"]}, 500)

    def _issue(self, key: str) -> dict[str, object]:
        fields = {
            "summary": f"Summary of {key}",
            "status": {"name": self.status[key]},
            "project": {"key": "PROJ", "id": "10000"},
            "issuetype": {"name": "Story"},
            "fixVersions": [],
            "labels": [],
        }
        return {"id": key.split("-")[1], "key": key, "fields": fields}


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for message in (
        "base",
        "proj-1 fix rounding",
        "PROJ-2 and PROJ-3; CVE-2024-1234",
        "PROJ-404 gone",
    ):
        (repo / "f").write_text(message)
        git(repo, "add", "f")
        git(repo, "commit", "-q", "-m", message)
    return repo


def test_jira_updates_each_issue_and_reruns_add_nothing(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    jira = FakeJira()
    httpserver.expect_request(re.compile("/rest/.*")).respond_with_handler(jira.handle)
    repo = _repo(tmp_path)
    env = {
        "JIRA_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "JIRA_USER_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_API_VERSION": "3",
        "CIBRIDGE_HTTP_RETRIES": "0",
    }
    argv = [
        "-C",
        str(repo),
        "jira",
        "--since",
        "HEAD~3",
        "--no-context",
        "--transition",
        "done",
        "--resolution",
        "Fixed",
        "--comment",
        "--environment",
        "production",
    ]
    result = cli(*argv, env=env)
    assert result.code == 1, result.all  # PROJ-3 cannot be transitioned
    assert jira.transitioned == [
        ("PROJ-1", {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Fixed"}}})
    ]
    assert "error: PROJ-3: Jira offers no transition" in result.all
    assert "Transition Issues permission" in result.all
    assert "PROJ-404" in result.all and "not found" in result.all  # reported, not fatal
    assert "CVE" not in json.dumps(jira.comments)
    assert [len(jira.comments[k]) for k in ("PROJ-1", "PROJ-2", "PROJ-3")] == [1, 1, 1]
    assert TOKEN not in result.all
    # a rerun of the same run and environment adds no second comment
    again = cli(*argv, env=env)
    assert [len(jira.comments[k]) for k in ("PROJ-1", "PROJ-2", "PROJ-3")] == [1, 1, 1]
    assert "already commented" in again.all
    assert "skipped: already Done" in again.all


# -- against the Jira stand-in, which checks every request against Atlassian's OpenAPI -------


def test_transition_comment_link_and_version_then_a_rerun_adds_nothing(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    env = {**stand_ins.env(), "CIBRIDGE_HTTP_RETRIES": "0"}
    argv = [
        "jira",
        "--issue",
        "PROJ-1",
        "--issue",
        "lock-1",
        "--issue",
        "SEC-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        "--comment",
        "--environment",
        "production",
        "--fix-version",
        "v9.9.9",
    ]
    first = cli(*argv, env=env)
    assert first.code == 1, first.all  # LOCK-1 cannot move; SEC-1 is invisible
    proj = jira.issue("PROJ-1")
    assert proj.status == "Done" and proj.resolution == "Done"
    assert len(proj.comments) == 1 and "v9.9.9" in proj.fix_versions
    assert "LOCK-1: Jira offers no transition" in first.all
    assert "SEC-1" in first.all and "not in Jira" in first.all
    assert jira.spec_rejections == []
    assert env["JIRA_API_TOKEN"] not in first.all
    second = cli(*argv, env=env)
    again = jira.issue("PROJ-1")
    assert len(again.comments) == 1 and again.status == "Done"
    assert "skipped: already Done" in second.all


# -- when Jira misbehaves for some issues ---------------------------------------------------
# Each issue gets its own verdict, the others go on, and nothing that is not idempotent is
# sent twice.


@pytest.fixture
def env(stand_ins: StandIns) -> dict[str, str]:
    return {**stand_ins.env(), "CIBRIDGE_HTTP_RETRIES": "2"}


def test_a_403_on_one_project_fails_its_issues_only(cli, stand_ins: StandIns, env) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.forbid("OPS")
    result = cli(
        "jira", "--issue", "PROJ-1", "--issue", "OPS-1", "--transition", "Done", "--resolution", "Done", "--comment",
        "--environment", "staging", env=env,
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done" and len(jira.issue("PROJ-1").comments) == 1
    assert jira.issue("OPS-1").status == "In Progress" and jira.issue("OPS-1").comments == []
    assert "OPS-1" in result.all and "HTTP 403" in result.all
    assert "lacks a permission" in result.all  # the fix, not only the status
    assert JIRA_TOKEN not in result.all


def test_the_comment_body_is_converted_once_for_every_issue(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, env, monkeypatch
) -> None:
    from cibridge.jira import service

    converted: list[str] = []
    real = service._body
    monkeypatch.setattr(service, "_body", lambda c, md: converted.append(md) or real(c, md))
    jira = jira_of(stand_ins)
    keys = [jira.add_issue("PROJ", f"many {n}") for n in range(5)]
    argv = [arg for key in keys for arg in ("--issue", key)]
    result = cli("jira", "--no-context", "--comment", "--environment", "staging", *argv, env=env)
    assert result.code == 0, result.all
    assert all(len(jira.issue(key).comments) == 1 for key in keys)
    assert len(converted) == 1


def test_a_409_storm_on_one_issue_is_not_retried_and_the_rest_go_on(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.storm("PROJ-3", 50, status=409)
    result = cli(
        "jira", "--issue", "PROJ-1", "--issue", "PROJ-3", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done"
    assert jira.issue("PROJ-3").status == "In Review"
    assert "PROJ-3" in result.all and "HTTP 409" in result.all
    # The first request for PROJ-3 failed and was not repeated: a conflict is not transient.
    assert jira.knobs.storms["PROJ-3"].remaining == 49


def test_a_short_429_storm_is_waited_out(cli, stand_ins: StandIns, env) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.retry_after = 0
    jira.knobs.storm("PROJ-3", 2, status=429)
    result = cli(
        "jira", "--issue", "PROJ-3", "--transition", "Done", "--resolution", "Done", env=env
    )
    assert result.code == 0, result.all
    assert jira.issue("PROJ-3").status == "Done"
    assert jira.knobs.storms["PROJ-3"].remaining == 0


def test_a_429_storm_that_does_not_end_fails_that_issue_after_the_retries(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.retry_after = 0
    jira.knobs.storm("PROJ-3", 100, status=429)
    result = cli(
        "jira", "--issue", "PROJ-3", "--issue", "PROJ-1", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done"
    assert "PROJ-3" in result.all and "HTTP 429" in result.all
    assert "run again later" in result.all
    assert jira.knobs.storms["PROJ-3"].remaining == 100 - 3  # one try and two retries


def test_a_screen_field_the_run_did_not_fill_names_the_field_and_the_option(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.require_field("Done", "customfield_10077", "Change risk")
    missing = cli(
        "jira", "--issue", "PROJ-1", "--issue", "OPS-1", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert missing.code == 1, missing.all
    assert "Change risk" in missing.all and "--field customfield_10077=" in missing.all
    assert jira.issue("PROJ-1").status == "In Progress"
    filled = cli(
        "jira", "--issue", "PROJ-1", "--transition", "Done", "--resolution", "Done", "--field", "customfield_10077=low",
        env=env,
    )  # fmt: skip
    assert filled.code == 0, filled.all
    assert jira.issue("PROJ-1").status == "Done"
    assert jira.issue("PROJ-1").fields.get("customfield_10077") == "low"


def test_an_issue_named_with_issue_that_jira_lacks_fails_while_one_from_text_is_skipped(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    argv = ["jira", "--issue", "PROJ-1", "--issue", "NOPE-9", "--issues-from-text", "fixes NOPE-8"]
    argv += ["--transition", "Done", "--resolution", "Done"]
    result = cli(*argv, env=env)
    assert result.code == 1, result.all
    named = "NOPE-9: not in Jira (or not visible to this account), and --issue named it"
    assert f"error: {named}" in result.all and "browse project NOPE" in result.all
    assert "warning: not in Jira (or not visible): NOPE-8" in result.all
    assert "NOPE-8: not found in Jira (or not visible to this account); skipped" in result.all
    assert jira.issue("PROJ-1").status == "Done"  # the others are still updated
    assert "\nfailed=1\n" in result.out
    lenient = cli(*argv, "--fail-on-error", "false", env=env)
    assert lenient.code == 0, lenient.all
    assert f"warning: {named}" in lenient.all


def _refusing_data_center(httpserver: HTTPServer, message: str) -> dict[str, str]:
    """A Data Center that refuses the key search itself with Jira's own error body."""
    httpserver.expect_request("/rest/api/2/search", method="POST").respond_with_json(
        {"errorMessages": [message], "errors": {}}, status=400
    )
    return {
        "JIRA_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "JIRA_PAT": TOKEN,
        "JIRA_API_VERSION": "2",
        "CIBRIDGE_HTTP_RETRIES": "0",
    }


def test_a_refused_lookup_fails_the_step_and_is_not_read_as_missing_issues(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer
) -> None:
    message = "Field 'key' does not exist or you do not have permission to view it."
    env = _refusing_data_center(httpserver, message)
    result = cli("jira", "--issues-from-text", "PROJ-1 PROJ-2", "--transition", "Done", env=env)
    assert result.code == 1, result.all
    assert "Jira could not look up PROJ-1, PROJ-2: Jira search: HTTP 400: " + message in result.all
    assert "no issue was checked or changed" in result.all
    assert "not found in Jira" not in result.all and "; skipped" not in result.all
    assert [entry[0].path for entry in httpserver.log] == ["/rest/api/2/search"]


def test_a_cloud_site_behind_another_host_name_is_asked_and_gets_the_v3_api(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    unsaid = {k: v for k, v in env.items() if k != "JIRA_API_VERSION"}  # a loopback host
    argv = ["-v", "jira", "--issue", "PROJ-1", "--transition", "Done", "--resolution", "Done"]
    result = cli(*argv, "--comment", env=unsaid)
    assert result.code == 0, result.all
    assert "serverInfo says deploymentType 'Cloud'" in result.err
    assert "debug: Jira API v3 for " in result.err
    comment = jira.issue("PROJ-1").comments[0]
    assert comment.body["type"] == "doc"  # ADF: the v3 API was used
    assert jira.spec_rejections == []


def test_a_resolution_jira_lacks_lists_the_valid_ones_and_the_comment_says_not_moved(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    argv = ["jira", "--issue", "PROJ-1", "--issue", "LOCK-1", "--transition", "Done"]
    result = cli(*argv, "--resolution", "Fixed", "--comment", env=env)
    assert result.code == 1, result.all
    assert "PROJ-1: Resolution 'Fixed' is not one the 'Done' transition offers" in result.all
    assert "valid: Done, Won't Do, Duplicate, Cannot Reproduce (pass --resolution" in result.all
    assert jira.issue("PROJ-1").status == "In Progress"
    proj = _text(jira.issue("PROJ-1").comments[0].body)
    assert "Not moved to Done: Resolution 'Fixed' is not one the 'Done' transition offers" in proj
    lock = _text(jira.issue("LOCK-1").comments[0].body)
    assert "Not moved to Done: Jira offers no transition from 'In Progress'" in lock
    assert "hint" not in lock
    assert jira.spec_rejections == []


def _text(adf: object) -> str:
    """The text of an ADF document, its nodes joined."""
    if isinstance(adf, dict):
        return str(adf.get("text", "")) + "".join(_text(c) for c in adf.get("content", []))
    return ""


@pytest.mark.parametrize("value", ["foo", "PROJ", "123", "PROJ-", "-12", "PROJ-1 OPS-2"])
def test_an_issue_option_that_is_not_a_key_is_a_usage_error(
    cli, stand_ins: StandIns, env, value: str
) -> None:  # type: ignore[no-untyped-def]
    result = cli("jira", "--issue", value, "--transition", "Done", "--resolution", "Done", env=env)
    assert result.code == 2, result.all
    assert "is not a Jira issue key" in result.all and "--issue PROJ-123" in result.all


def test_issue_keys_given_by_hand_are_upper_cased_and_deduplicated(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "jira",
        "--issue",
        "proj-1",
        "--issue",
        "PROJ-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        env=env,
    )
    assert result.code == 0, result.all
    assert result.all.count("PROJ-1: transition done") == 1


def test_many_issues_fit_gitlabs_dotenv_report(cli, stand_ins: StandIns, env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    keys = [jira.add_issue("PROJ", f"bulk {n}") for n in range(450)]
    dotenv = tmp_path / "cibridge-jira.env"
    gitlab = {"GITLAB_CI": "true", "CIBRIDGE_DOTENV": str(dotenv), "CI_JOB_ID": "7"}
    argv = [arg for key in keys for arg in ("--issue", key)]
    result = cli("jira", "--no-context", "--max-issues", "500", *argv, env={**env, **gitlab})
    assert result.code == 0, result.all
    values = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    listed = json.loads(values["issues"])
    assert listed == keys[: len(listed)] and 0 < len(listed) < 450
    assert len(dotenv.read_bytes()) <= 5 * 1024
    assert f"the issues output lists {len(listed)} of 450" in result.all


# -- --deployment ---------------------------------------------------------------------------
# Against the stand-in, which checks the submission against Atlassian's Jira Software OpenAPI
# document and accepts only OAuth tokens.


# NOPE-9 comes from text, not --issue, so its absence is a warning and not a failure.
ARGS = (
    "jira",
    "--issue",
    "PROJ-1",
    "--issue",
    "OPS-2",
    "--issues-from-text",
    "NOPE-9",
    "--no-remote-link",
)


@pytest.fixture
def oauth_env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "cibridge.yml"
    config.write_text(
        "integrations:\n  jira:\n    type: oauth2\n"
        f"    token_url: {stand_ins.base}/jira/oauth/token\n"
    )
    env = {k: v for k, v in stand_ins.env().items() if k not in ("JIRA_API_TOKEN",)}
    return {
        **env,
        "JIRA_CLIENT_ID": JIRA_CLIENT_ID,
        "JIRA_CLIENT_SECRET": JIRA_CLIENT_SECRET,
        "CIBRIDGE_CONFIG": str(config),
        "CIBRIDGE_HTTP_RETRIES": "0",
        "GITHUB_ACTIONS": "",
    }


def _github(tmp_path: Path, run_id: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text('{"repository": {"default_branch": "main"}}')
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_WORKFLOW": "deploy",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def test_a_deployment_is_recorded_on_every_issue_found_and_a_rerun_updates_it(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    jira = jira_of(stand_ins)
    env = {**oauth_env, **_github(tmp_path, "9001")}
    argv = (*ARGS, "--deployment", "--environment", "prod-eu")
    first = cli(*argv, "--status", "running", env=env)
    assert first.code == 0, first.all
    assert "Jira deployment 9001 to prod-eu (production): in_progress, 2 issue(s)" in first.all
    assert jira.spec_rejections == []
    (stored,) = jira.deployments
    assert stored["state"] == "in_progress" and stored["environment"]["type"] == "production"
    assert stored["associations"][0]["values"] == ["PROJ-1", "OPS-2"]  # NOPE-9 is unknown
    assert stored["url"] == "https://github.com/acme/shop/actions/runs/9001"
    second = cli(*argv, "--status", "success", env=env)
    assert second.code == 0, second.all
    (updated,) = jira.deployments  # the same deployment, now successful
    assert updated["state"] == "successful"
    assert updated["updateSequenceNumber"] > stored["updateSequenceNumber"]


def test_an_api_token_is_refused_with_the_fix(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), **_github(tmp_path, "77"), "CIBRIDGE_HTTP_RETRIES": "0"}
    result = cli(*ARGS, "--deployment", "--environment", "staging", "--status", "success", env=env)
    assert result.code == 1, result.all
    assert "Jira deployment not recorded" in result.all and "HTTP 401" in result.all
    assert "OAuth credentials" in result.all and "JIRA_CLIENT_ID" in result.all
    shown = [line for line in result.all.splitlines() if not line.startswith("::add-mask::")]
    assert not [line for line in shown if JIRA_TOKEN in line]
    assert jira_of(stand_ins).deployments == []


def test_without_a_status_nothing_is_recorded_and_the_fix_is_named(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**oauth_env, **_github(tmp_path, "78")}
    result = cli(*ARGS, "--deployment", "--environment", "staging", env=env)
    assert result.code == 2, result.all
    assert "status is not known" in result.all and "job.status" in result.all
    assert jira_of(stand_ins).deployments == []


def test_the_dry_run_shows_the_deployment_and_records_nothing(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, oauth_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**oauth_env, **_github(tmp_path, "79")}
    result = cli(
        "--dry-run", *ARGS, "--deployment", "--environment", "qa", "--status", "failure", env=env
    )
    assert result.code == 0, result.all
    assert "POST /jira/rest/deployments/0.1/bulk (dry run, not sent)" in result.all
    assert '"state": "failed"' in result.all and '"type": "testing"' in result.all
    assert "would record Jira deployment 79 to qa (testing): failed, 2 issue(s)" in result.all
    assert jira_of(stand_ins).deployments == []


def test_a_dry_run_says_what_it_would_do_and_claims_nothing_done(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, env, tmp_path: Path
) -> None:
    jira = jira_of(stand_ins)
    github = {**_github(tmp_path, "83"), "GITHUB_OUTPUT": str(tmp_path / "github_output")}
    argv = ["--dry-run", "jira", "--issue", "PROJ-1", "--transition", "Done", "--resolution"]
    argv += ["Done", "--comment", "--environment", "prod", "--fix-version", "v7", "--link-to"]
    argv += ["OPS-1"]
    result = cli(*argv, env={**env, **github})
    assert result.code == 0, result.all
    assert (
        "PROJ-1: would move to Done, would comment, would add remote link, would link to OPS-1, "
        "would add fix version v7"
    ) in result.all
    assert " done" not in result.all
    outputs = github_job.outputs(tmp_path)
    assert outputs["dry-run"] == "true" and outputs["transitioned"] == "0"
    summary = (tmp_path / "summary").read_text()
    assert "dry run: nothing was changed" in summary and "✅" not in summary
    proj = jira.issue("PROJ-1")
    assert proj.status == "In Progress" and proj.comments == [] and proj.remote_links == []


def test_since_spelled_like_a_git_option_is_a_usage_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(tmp_path)
    target = tmp_path / "written"
    env = {"JIRA_BASE_URL": "https://jira.example.com", "JIRA_API_TOKEN": TOKEN}
    result = cli("-C", str(repo), "jira", f"--since=--output={target}", "--no-context", env=env)
    assert result.code == 2, result.all
    assert "not a commit in this checkout" in result.all
    assert not target.exists()


def test_more_keys_than_the_cap_change_nothing(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    jira = FakeJira()
    httpserver.expect_request(re.compile("/rest/.*")).respond_with_handler(jira.handle)
    text = " ".join(f"PROJ-{n}" for n in range(1, 256))
    env = {
        "JIRA_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "JIRA_USER_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_API_VERSION": "3",
    }
    argv = ["jira", "--issues-from-text", text, "--transition", "done"]
    result = cli(*argv, env=env)
    assert result.code == 1, result.all
    assert "found 255 issue keys, more than --max-issues 100: nothing was changed" in result.all
    assert "… and 250 more" in result.all
    assert len(max(result.all.splitlines(), key=len)) < 300
    assert jira.transitioned == []
    assert not httpserver.log  # refused before any lookup
    assert cli(*argv, "--max-issues", "0", env=env).code == 2


def test_the_cap_comes_from_the_config_and_the_flag_wins(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    jira = FakeJira()
    httpserver.expect_request(re.compile("/rest/.*")).respond_with_handler(jira.handle)
    config = tmp_path / "cap.yml"
    config.write_text("integration_configs:\n  project_management:\n    jira: {max_issues: 3}\n")
    env = {
        "JIRA_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "JIRA_USER_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_API_VERSION": "3",
    }
    argv = ["--config", str(config), "jira", "--issues-from-text", "PROJ-1 PROJ-2 PROJ-3 PROJ-4"]
    capped = cli(*argv, env=env)
    assert capped.code == 1 and "more than --max-issues 3" in capped.all
    assert not httpserver.log
    assert "more than" not in cli(*argv, "--max-issues", "4", env=env).all


def test_data_center_asks_again_without_the_keys_it_names_unknown(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """2,000 keys Jira does not know: one search per 100 and one more without the keys the
    refusal named, not one search per key."""
    text = " ".join(f"PROJ-{n}" for n in range(5000, 7000))
    env = {**stand_ins.env(), "JIRA_API_VERSION": "2", "CIBRIDGE_HTTP_RETRIES": "0"}
    argv = ["jira", "--no-context", "--max-issues", "2000", "--issues-from-text", text]
    done = cli(*argv, env=env)
    assert done.code == 0, done.all[-2000:]
    searches = [r for r in stand_ins.of("jira") if "/search" in r.path]
    assert len(searches) == 20  # one per 100; none left to ask again
    assert max(len(line) for line in done.all.splitlines()) < 1000


@contextlib.contextmanager
def _silent_server() -> Iterator[str]:
    """A server that takes connections and never answers: its address."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:  # accept, read nothing back, answer nothing
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=hold, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above, so its thread ends
        listener.close()
        for connection in held:
            connection.close()


@pytest.mark.parametrize("silent", ["base_url", "token_url"])
def test_the_configured_timeout_bounds_each_jira_call(cli, tmp_path: Path, silent: str) -> None:  # type: ignore[no-untyped-def]
    """integrations.jira.timeout is the per-read limit of every call, the OAuth token's
    included: a Jira (or token endpoint) that takes the connection and never answers fails
    the step after it."""
    env = {"JIRA_CLIENT_SECRET": "client-secret-canary-9", "CIBRIDGE_HTTP_RETRIES": "0"}
    with _silent_server() as address:
        urls = {"base_url": "http://127.0.0.1:1", "token_url": "http://127.0.0.1:1/token"}
        urls[silent] = address + ("/token" if silent == "token_url" else "")
        config = tmp_path / "c.yml"
        config.write_text(
            "integrations:\n  jira:\n"
            f"    base_url: {urls['base_url']}\n    api_version: 3\n    timeout: 250ms\n"
            + (
                f"    type: oauth2\n    client_id: ci\n    token_url: {urls['token_url']}\n"
                if silent == "token_url"
                else "    email: ci@example.com\n    api_token_ref: JIRA_CLIENT_SECRET\n"
            )
        )
        result = cli("--config", str(config), "jira", "--issue", "PROJ-1", "--comment", env=env)
    assert result.code == 1, result.all
    assert "timed out after 0.25s" in result.all
    assert "client-secret-canary-9" not in result.all
