"""Default branches: looked up once per repository or project, per service."""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from cibridge.clients.pipelines import Credentials, Dispatcher
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
