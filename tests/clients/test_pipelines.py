"""Default branches: looked up once per repository or project, per service."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.pipelines import Credentials, Dispatcher
from cibridge.clients.targets import Target
from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Transport


def test_a_github_repository_and_a_gitlab_project_of_the_same_path_keep_their_own_branch(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/gitlab/projects/acme/checkout", method="GET").respond_with_json(
        {"default_branch": "develop"}
    )
    httpserver.expect_request("/gitlab/projects/acme/checkout/pipeline").respond_with_json(
        {"web_url": "https://gitlab.example.com/acme/checkout/-/pipelines/1"}, status=201
    )
    dispatcher = Dispatcher(
        Transport(HttpSettings(retries=0)),
        Credentials(gitlab_token="glpat-test"),
        {"acme/checkout": "trunk"},  # the GitHub event's repository
    )
    gitlab = Target("gitlab", httpserver.url_for("/gitlab"), "acme/checkout")
    for _ in range(2):
        assert dispatcher.start(gitlab, {}).detail == "started acme/checkout on develop"
    lookups = [r for r in httpserver.log if r[0].method == "GET"]
    assert len(lookups) == 1  # asked once, then remembered


def test_any_2xx_starts_the_run_and_anything_else_is_refused(httpserver: HTTPServer) -> None:
    # Only 200 and 204 counted for GitHub (200 and 201 for GitLab): a 202 was "refused".
    path = "/repos/acme/checkout/actions/workflows/ci.yml/dispatches"
    httpserver.expect_ordered_request(path).respond_with_data("", status=202)
    httpserver.expect_ordered_request(path).respond_with_json({"message": "Bad"}, status=422)
    dispatcher = Dispatcher(Transport(HttpSettings(retries=0)), Credentials(github_token="ghs_1"))
    github = Target(
        "github", httpserver.url_for("").rstrip("/"), "acme/checkout", "ci.yml", ref="main"
    )
    assert dispatcher.start(github, {}).detail == "started acme/checkout ci.yml on main"
    with pytest.raises(CibridgeError) as refused:
        dispatcher.start(github, {})
    assert refused.value.message == (
        "GitHub refused to start acme/checkout ci.yml on main: HTTP 422: Bad"
    )
    assert refused.value.exit_code == 1


def test_a_dollar_in_a_value_reaches_a_gitlab_pipeline_as_itself(httpserver: HTTPServer) -> None:
    """Values are data: GitLab would expand `$DEPLOY_TOKEN` in a started pipeline's variable,
    so every `$` goes as `$$`, GitLab's literal dollar (both APIs)."""
    httpserver.expect_request("/gitlab/projects/acme/checkout/pipeline").respond_with_json(
        {"web_url": "https://gitlab.example.com/acme/checkout/-/pipelines/1"}, status=201
    )
    httpserver.expect_request("/gitlab/projects/acme/checkout/trigger/pipeline").respond_with_json(
        {"web_url": "https://gitlab.example.com/acme/checkout/-/pipelines/2"}, status=201
    )
    gitlab = Target("gitlab", httpserver.url_for("/gitlab"), "acme/checkout", ref="main")
    values = {"DEPLOY_ISSUE_SUMMARY": "Fix $DEPLOY_TOKEN and ${CI_JOB_TOKEN} cost $5"}
    for credentials in (Credentials(gitlab_token="glpat-1"), Credentials(gitlab_trigger_token="t")):
        Dispatcher(Transport(HttpSettings(retries=0)), credentials).start(gitlab, values)
    api, trigger = (request for request, _ in httpserver.log)
    expected = "Fix $$DEPLOY_TOKEN and $${CI_JOB_TOKEN} cost $$5"
    assert api.get_json()["variables"] == [{"key": "DEPLOY_ISSUE_SUMMARY", "value": expected}]
    assert trigger.form["variables[DEPLOY_ISSUE_SUMMARY]"] == expected


def test_gitlab_reads_a_doubled_dollar_as_one_and_expands_a_single_one(tmp_path: Path) -> None:
    """What GitLab does with such a value, under gitlab-ci-local: `$$NAME` is the text
    `$NAME`; a lone `$NAME` would have been the secret."""
    from tests.e2e.harness import run_gitlab_ci_local

    pipeline = 'job:\n  script:\n    - echo "escaped=[$ESCAPED] raw=[$RAW]"\n'
    variables = {
        "DEPLOY_TOKEN": "s3cr3t-value",
        "ESCAPED": "$$DEPLOY_TOKEN",
        "RAW": "$DEPLOY_TOKEN",
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code == 0, run.output
    assert "escaped=[$DEPLOY_TOKEN] raw=[s3cr3t-value]" in run.output
