"""Where Jira is and how cibridge signs in: the seed's styles and the well-known variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.config import loader as config
from cibridge.core.errors import CibridgeError
from cibridge.http import auth, oauth
from cibridge.http.transport import HttpSettings, Transport
from cibridge.jira import settings
from tests.conftest import SEED

TRANSPORT = Transport(HttpSettings())


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


def test_data_center_pat_defaults_to_v2() -> None:
    found = _load({"JIRA_BASE_URL": "https://jira.corp.example", "JIRA_PAT": "pat-abcdef"})
    assert found.api_version == 2
    assert isinstance(found.auth, auth.Bearer)


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
