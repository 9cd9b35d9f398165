"""Default branches: looked up once per repository or project, per service."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.pipelines import Credentials, Dispatcher
from cibridge.core.errors import CibridgeError
from cibridge.http.transport import HttpSettings, Transport
from cibridge.trigger.targets import Target


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
