"""Where Jira is and how cibridge signs in: the seed's styles and the well-known variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.config import loader as config
from cibridge.core import log
from cibridge.core.errors import CibridgeError
from cibridge.http import auth, oauth
from cibridge.http.transport import HttpSettings, Transport
from cibridge.jira import settings
from tests.conftest import SEED

TRANSPORT = Transport(HttpSettings(retries=0))


def _load(
    env: dict[str, str], text: str = "", tmp_path: Path | None = None
) -> settings.JiraSettings:
    paths = []
    if text and tmp_path is not None:
        (tmp_path / "c.yml").write_text(text)
        paths = [tmp_path / "c.yml"]
    return settings.load(config.load(paths, env), env, TRANSPORT)


def test_cloud_basic_from_the_gajira_variables() -> None:
    found = _load(
        {
            "JIRA_BASE_URL": "https://acme.atlassian.net/",
            "JIRA_USER_EMAIL": "ci@acme.com",
            "JIRA_API_TOKEN": "tok-123456",
        }
    )
    assert found.base_url == "https://acme.atlassian.net"
    assert found.api_version == 3
    assert isinstance(found.auth, auth.Basic)


@pytest.mark.parametrize(
    ("deployment_type", "version"), [("DataCenter", 2), ("Server", 2), ("Cloud", 3)]
)
def test_a_host_that_does_not_say_is_asked_once_and_the_choice_is_said_in_verbose_output(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    deployment_type: str,
    version: int,
) -> None:
    # A Cloud site behind a proxy or a custom domain has no *.atlassian.net host name.
    httpserver.expect_oneshot_request(
        "/jira/rest/api/2/serverInfo", method="GET"
    ).respond_with_json({"baseUrl": "https://jira.corp.example", "deploymentType": deployment_type})
    monkeypatch.setattr(log, "_verbose", True)
    found = _load({"JIRA_BASE_URL": httpserver.url_for("/jira"), "JIRA_PAT": "pat-abcdef"})
    assert found.api_version == version
    assert isinstance(found.auth, auth.Bearer)
    assert len(httpserver.log) == 1
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer pat-abcdef"
    said = capsys.readouterr().err
    assert f"debug: Jira API v{version} for {httpserver.url_for('/jira')}: " in said
    assert f"serverInfo says deploymentType '{deployment_type}'" in said


@pytest.mark.parametrize(
    ("env", "version", "why"),
    [
        ({"JIRA_API_VERSION": "3"}, 3, "api_version (environment)"),
        ({"JIRA_BASE_URL": "https://acme.atlassian.net"}, 3, "an Atlassian Cloud host name"),
    ],
)
def test_a_configured_version_or_a_cloud_host_is_not_asked_about(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    version: int,
    why: str,
) -> None:
    monkeypatch.setattr(log, "_verbose", True)
    found = _load({"JIRA_BASE_URL": httpserver.url_for("/"), "JIRA_PAT": "pat-abcdef", **env})
    assert found.api_version == version and httpserver.log == []
    assert why in capsys.readouterr().err


def test_deployment_in_the_config_decides_without_asking(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    text = "integration_configs:\n  project_management:\n    jira:\n      deployment: datacenter\n"
    env = {"JIRA_BASE_URL": httpserver.url_for("/"), "JIRA_PAT": "pat-abcdef"}
    assert _load(env, text, tmp_path).api_version == 2
    assert httpserver.log == []


def test_a_site_that_cannot_say_what_it_is_names_the_setting_that_decides(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/rest/api/2/serverInfo").respond_with_data(
        "<html>Sign in</html>", content_type="text/html"
    )
    with pytest.raises(CibridgeError) as error:
        _load({"JIRA_BASE_URL": httpserver.url_for("/"), "JIRA_PAT": "pat-abcdef"})
    assert "cannot tell Jira Cloud from Data Center: Jira serverInfo: HTTP 200 but not" in str(
        error.value
    )
    assert "set JIRA_API_VERSION (3 for Jira Cloud, 2 for Data Center" in error.value.hint
    assert error.value.exit_code == 1


def test_seed_oauth2_with_cloud_id_goes_through_the_gateway(tmp_path: Path) -> None:
    text = (SEED / "integration-auth.yml").read_text()
    env = {"JIRA_CLIENT_SECRET": "s3cret-value", "JIRA_CLOUD_ID": "abc-123"}
    found = _load(env, text, tmp_path)
    assert found.base_url == "https://api.atlassian.com/ex/jira/abc-123"
    assert isinstance(found.auth, oauth.OAuth2ClientCredentials)
    assert found.api_version == 3


def test_project_mapping_is_the_allowlist(tmp_path: Path) -> None:
    text = (SEED / "integration-configs.yml").read_text()
    env = {"JIRA_CLIENT_SECRET": "x" * 8, "JIRA_PAT": "pat-abcdef"}
    with pytest.raises(CibridgeError, match=r"OAuth 2\.0 needs token_url"):
        _load(env, text, tmp_path)  # the seed's auth block names no token_url
    fixed = text.replace('type: "oauth2"', 'type: "pat"').replace("client_secret_ref", "token_ref")
    found = _load({"JIRA_CLIENT_SECRET": "pat-abcdefgh"}, fixed, tmp_path)
    assert found.projects == ("PROJ1", "PROJ2")


def test_missing_base_url_and_bad_version() -> None:
    with pytest.raises(CibridgeError, match="no base URL"):
        _load({})
    with pytest.raises(CibridgeError, match=r"api_version '4' .* is not 2 or 3"):
        _load({"JIRA_BASE_URL": "https://j.example", "JIRA_API_VERSION": "4"})


def test_an_oauth_integration_for_deployments_goes_through_atlassians_gateway(
    tmp_path: Path,
) -> None:
    text = (
        "integrations:\n  jira:\n    type: oauth2\n    client_id: cid\n"
        "    audience: api.atlassian.com\n    token_url: https://api.atlassian.com/oauth/token\n"
    )
    env = {
        "JIRA_BASE_URL": "https://acme.atlassian.net",
        "JIRA_CLIENT_SECRET": "s3cret-value",
        "JIRA_CLOUD_ID": "abc-123",
    }
    found = _load(env, text, tmp_path)
    assert isinstance(found.auth, oauth.OAuth2ClientCredentials)
    assert found.auth.audience == "api.atlassian.com"
    assert found.deployments_url == (
        "https://api.atlassian.com/jira/deployments/0.1/cloud/abc-123/bulk"
    )
    # Without a cloud id, the site's own path; JIRA_DEPLOYMENTS_URL overrides both.
    del env["JIRA_CLOUD_ID"]
    assert _load(env, text, tmp_path).deployments_url == (
        "https://acme.atlassian.net/rest/deployments/0.1/bulk"
    )
    env["JIRA_DEPLOYMENTS_URL"] = "https://proxy.example/deployments"
    assert _load(env, text, tmp_path).deployments_url == "https://proxy.example/deployments"
