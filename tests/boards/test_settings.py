"""Where Azure Boards is and how cibridge signs in: the design's block, the variables, and
Azure Pipelines' own with no configuration."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cibridge.boards import settings
from cibridge.config import loader as config
from cibridge.core.errors import CibridgeError
from cibridge.http import auth

BLOCK = """integration_configs:
  project_management:
    azure_devops:
      enabled: true
      base_url: "https://dev.azure.com"
      organization: fabrikam
      project: Fabrikam-Fiber
      auth:
        type: "{kind}"
        token_ref: "azure-devops-pat"
"""


def _load(
    env: dict[str, str], text: str = "", tmp_path: Path | None = None
) -> settings.BoardsSettings:
    paths = []
    if text and tmp_path is not None:
        (tmp_path / "c.yml").write_text(text)
        paths = [tmp_path / "c.yml"]
    return settings.load(config.load(paths, env), env)


def _basic_password(found: auth.Auth | None) -> str:
    assert isinstance(found, auth.Basic) and found.user == ""
    header = found.headers()["Authorization"].removeprefix("Basic ")
    return base64.b64decode(header).decode().partition(":")[2]


def test_the_design_block_with_a_pat(tmp_path: Path) -> None:
    found = _load({"AZURE_DEVOPS_PAT": "pat-1"}, BLOCK.format(kind="pat"), tmp_path)
    assert found.collection_url == "https://dev.azure.com/fabrikam"
    assert found.project == "Fabrikam-Fiber"
    assert _basic_password(found.auth) == "pat-1"  # Basic, empty user, the PAT as password


def test_the_design_block_with_a_bearer_token(tmp_path: Path) -> None:
    found = _load({"AZURE_DEVOPS_PAT": "entra-1"}, BLOCK.format(kind="bearer"), tmp_path)
    assert isinstance(found.auth, auth.Bearer)
    assert found.auth.headers()["Authorization"] == "Bearer entra-1"


def test_the_variables_alone() -> None:
    env = {"AZURE_DEVOPS_ORG": "org", "AZURE_DEVOPS_PROJECT": "P", "AZURE_DEVOPS_EXT_PAT": "p"}
    found = _load(env)
    assert (
        found.collection_url == "https://dev.azure.com/org" and _basic_password(found.auth) == "p"
    )
    bearer = _load({**env, "AZURE_DEVOPS_EXT_PAT": "", "AZURE_DEVOPS_TOKEN": "t"})
    assert isinstance(bearer.auth, auth.Bearer)


def test_an_azure_devops_server_collection_is_its_own_url() -> None:
    env = {
        "AZURE_DEVOPS_URL": "https://tfs.example.com/tfs/DefaultCollection/",
        "AZURE_DEVOPS_PROJECT": "P",
        "AZURE_DEVOPS_EXT_PAT": "p",
    }
    assert _load(env).collection_url == "https://tfs.example.com/tfs/DefaultCollection"
    old = {**env, "AZURE_DEVOPS_URL": "https://fabrikam.visualstudio.com"}
    assert _load(old).collection_url == "https://fabrikam.visualstudio.com"


def test_azure_pipelines_needs_no_configuration() -> None:
    env = {
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/",
        "SYSTEM_TEAMPROJECT": "Fabrikam-Fiber",
        "SYSTEM_ACCESSTOKEN": "job-token",
        "BUILD_BUILDID": "12",
    }
    found = _load(env)
    assert found.collection_url == "https://dev.azure.com/fabrikam"
    assert found.project == "Fabrikam-Fiber"
    assert isinstance(found.auth, auth.Bearer)
    assert found.auth.headers()["Authorization"] == "Bearer job-token"
    assert found.pipeline.active and not found.pipeline.azure_repos
    # A PAT, when set, wins over the job's token; the organization from the file too.
    assert _basic_password(_load({**env, "AZURE_DEVOPS_EXT_PAT": "p"}).auth) == "p"


def test_an_input_wins_over_the_file_and_the_file_over_the_variable(tmp_path: Path) -> None:
    text = BLOCK.format(kind="pat")
    env = {"AZURE_DEVOPS_PAT": "p", "AZURE_DEVOPS_ORG": "from-env"}
    assert _load(env, text, tmp_path).collection_url == "https://dev.azure.com/fabrikam"
    given = {**env, "CIBRIDGE_GIVEN_INPUTS": "AZURE_DEVOPS_ORG"}
    assert _load(given, text, tmp_path).collection_url == "https://dev.azure.com/from-env"


@pytest.mark.parametrize(
    ("env", "text", "message"),
    [
        ({"AZURE_DEVOPS_PROJECT": "P", "AZURE_DEVOPS_EXT_PAT": "p"}, "", "no organization is configured"),
        ({"AZURE_DEVOPS_ORG": "o", "AZURE_DEVOPS_EXT_PAT": "p"}, "", "no project is configured"),
        ({"AZURE_DEVOPS_ORG": "o", "AZURE_DEVOPS_PROJECT": "P"}, "", "no credentials"),
        ({"AZURE_DEVOPS_URL": "dev.azure.com", "AZURE_DEVOPS_ORG": "o", "AZURE_DEVOPS_PROJECT": "P",
          "AZURE_DEVOPS_EXT_PAT": "p"}, "", "has no scheme"),
        ({"AZURE_DEVOPS_PAT": "p"}, BLOCK.format(kind="pat").replace("enabled: true", "enabled: false"),
         "enabled: false"),
        ({"AZURE_DEVOPS_PAT": "p"}, BLOCK.format(kind="basic_auth"), "is not pat or bearer"),
    ],
)  # fmt: skip
def test_what_cannot_work_is_a_usage_error(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    with pytest.raises(CibridgeError) as error:
        _load(env, text, tmp_path)
    assert message in str(error.value) and error.value.exit_code == 2


def test_the_seeds_four_examples_stay_valid_configuration() -> None:
    from tests.conftest import SEED

    loaded = config.load(sorted(SEED.glob("*.yml")), {})
    assert (
        loaded.raw("integration_configs", "project_management", "azure_devops", "enabled") is False
    )
