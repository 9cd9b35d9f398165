"""`cibridge trigger` fed by an Azure DevOps Service Hook: Microsoft's recorded
workitem.updated delivery, from a file (basic authentication or a signature), a GitHub
repository_dispatch and a GitLab pipeline trigger, against the GitHub and GitLab API
stand-ins. Each change starts its pipeline once; the started run is the record."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cibridge.core import signing
from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
)
from cibridge.demo.standins.github_api import Workflow
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "azure-devops" / "service-hooks" / "workitem.updated.json"
TRIGGER_KEY = "5e" * 32
HOOK = "cibridge-hook:" + "pw-" + "9f3a" * 6
CONFIG = """deployment_triggers:
  azure_devops:
    work_item_state_trigger:
      work_item_types: [Bug]
      target_state: Approved
      pipeline_mapping: {FabrikamCloud: cloud-deploy}
    tag_trigger:
      tags: [deploy-staging, hotfix]
      pipeline_mapping: {deploy-staging: staging-deploy, hotfix: staging-deploy}
pipelines:
  cloud-deploy:
    github:
      repository: acme/checkout
      workflow: cloud-deploy.yml
      inputs: {work_item_id: '{{ work_item_id }}', change_id: '{{ change_id }}'}
  staging-deploy:
    gitlab:
      project: acme/checkout
      ref: main
      variables: {DEPLOY_WORK_ITEM_ID: '{{ work_item_id }}', DEPLOY_CHANGE_ID: '{{ change_id }}'}
"""


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


@pytest.fixture
def env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    workflows = _github(stand_ins).repositories["acme/checkout"].workflows
    workflows["cloud-deploy.yml"] = Workflow(
        {"work_item_id": True, "change_id": True}, run_name="Deploy ${{ inputs.change_id }}"
    )
    _gitlab(stand_ins).projects[42].workflow_name = "deploy $DEPLOY_CHANGE_ID"
    (tmp_path / "boards.yml").write_text(CONFIG)
    # No Azure DevOps settings: the delivery's channel vouches for it (the tests with the
    # Azure Boards stand-in below have them, and the server decides).
    given = {k: v for k, v in stand_ins.env().items() if not k.startswith("AZURE_DEVOPS_")}
    return {
        **given,
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_TRIGGER_KEY": TRIGGER_KEY,
        "BOARDS_HOOK": HOOK,
        "CIBRIDGE_CONFIG": str(tmp_path / "boards.yml"),
    }


def _basic(credentials: str = HOOK) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _delivery(tmp_path: Path, data: dict[str, Any] | None = None, name: str = "hook.json") -> Path:
    path = tmp_path / name
    path.write_bytes(SAMPLE.read_bytes() if data is None else json.dumps(data).encode())
    return path


def _file_args(path: Path, authorization: str | None = None) -> list[str]:
    header = _basic() if authorization is None else authorization
    return [
        "trigger",
        "--event-file",
        str(path),
        "--authorization",
        header,
        "--secret-env",
        "BOARDS_HOOK",
        "--dispatch",
    ]


def test_microsofts_delivery_starts_the_pipeline_once_and_a_retry_starts_nothing(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = _file_args(_delivery(tmp_path))
    first = cli(*argv, env=env)
    assert first.code == 0, first.all
    [started] = _github(stand_ins).dispatches
    assert started["inputs"]["work_item_id"] == "5"
    change = started["inputs"]["change_id"]
    assert change.startswith("cib-") and f"change id {change}" in first.out
    assert "AB#5: work_item_state_trigger → cloud-deploy" in first.out
    assert "dispatched=1" in first.out
    # The Service Hook retries the same delivery: the target shows the run, nothing starts.
    again = cli(*argv, env=env)
    assert again.code == 0, again.all
    assert len(_github(stand_ins).dispatches) == 1
    assert f"shows a run carrying {change}" in again.out and "skipped=1" in again.out
    assert HOOK.split(":")[1] not in first.all + again.all


def test_moving_the_item_out_and_back_in_is_a_new_change(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert cli(*_file_args(_delivery(tmp_path)), env=env).code == 0
    later = json.loads(SAMPLE.read_text())
    later["resource"]["rev"] = later["resource"]["revision"]["rev"] = 4
    again = cli(*_file_args(_delivery(tmp_path, later, "later.json")), env=env)
    assert again.code == 0, again.all
    first, second = _github(stand_ins).dispatches
    assert first["inputs"]["change_id"] != second["inputs"]["change_id"]


def test_two_tags_of_one_update_mapped_to_one_pipeline_share_its_run(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Through a GitLab pipeline trigger: the Service Hook posts to the trigger URL and
    GitLab hands the body to the job as TRIGGER_PAYLOAD (a file variable)."""
    data = copy.deepcopy(json.loads(SAMPLE.read_text()))
    del data["resource"]["fields"]["System.State"]
    data["resource"]["fields"]["System.Tags"] = {
        "oldValue": "",
        "newValue": "hotfix; deploy-staging",
    }
    payload = _delivery(tmp_path, data)
    gitlab_job = {"GITLAB_CI": "true", "CI_JOB_ID": "9", "CI_PROJECT_DIR": str(tmp_path)}
    gitlab_job |= {"TRIGGER_PAYLOAD": str(payload), "CI_PIPELINE_SOURCE": "trigger"}
    gitlab_job |= {"CIBRIDGE_DOTENV": str(tmp_path / "cibridge.env")}
    done = cli("trigger", "--dispatch", env={**env, **gitlab_job})
    assert done.code == 0, done.all
    [pipeline] = _gitlab(stand_ins).pipelines
    assert pipeline["variables"]["DEPLOY_WORK_ITEM_ID"] == "5"
    assert "started once for tag hotfix added and tag deploy-staging added" in done.out
    assert "dispatched=1" in (tmp_path / "cibridge.env").read_text()
    again = cli("trigger", "--dispatch", env={**env, **gitlab_job})
    assert again.code == 0, again.all
    assert len(_gitlab(stand_ins).pipelines) == 1 and "shows a run carrying cib-" in again.out


def test_a_github_repository_dispatch_carries_the_delivery(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A relay (the Service Hook cannot shape a repository_dispatch body) sends
    {"event_type": ..., "client_payload": {eventType, resource}}: GitHub takes at most ten
    top-level keys there, and those two are all cibridge reads."""
    sample = json.loads(SAMPLE.read_text())
    client_payload = {key: sample[key] for key in ("eventType", "resource", "resourceContainers")}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "azure-boards", "client_payload": client_payload}))
    github_job = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "repository_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    done = cli("trigger", "--dispatch", env={**env, **github_job})
    assert done.code == 0, done.all
    assert len(_github(stand_ins).dispatches) == 1
    assert "from repository_dispatch client_payload (workitem.updated)" in done.out


def test_a_file_delivery_is_refused_unless_authenticated(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = _delivery(tmp_path)
    unproven = cli("trigger", "--event-file", str(path), "--dispatch", env=env)
    assert unproven.code == 2 and "not authenticated" in unproven.all
    wrong = cli(*_file_args(path, _basic("cibridge-hook:guess")), env=env)
    assert wrong.code == 1 and "basic authentication does not match" in wrong.all
    garbage = cli(*_file_args(path, "Basic %%%"), env=env)
    assert garbage.code == 1
    assert _github(stand_ins).dispatches == []
    # Without --dispatch it only says what would start: no proof needed to read it.
    looked = cli("trigger", "--event-file", str(path), env=env)
    assert looked.code == 0 and "Bug moved from New to Approved → cloud-deploy" in looked.out


def test_a_relay_that_signs_the_body_is_enough(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = _delivery(tmp_path)
    header = signing.sign(path.read_bytes(), "relay-secret-0123456789")
    argv = ["trigger", "--event-file", str(path), "--signature", header]
    env = {**env, "RELAY_SECRET": "relay-secret-0123456789"}
    done = cli(*argv, "--secret-env", "RELAY_SECRET", "--dispatch", env=env)
    assert done.code == 0, done.all
    assert len(_github(stand_ins).dispatches) == 1
    tampered = path.read_bytes().replace(b"Approved", b"Approvex", 1)
    path.write_bytes(tampered)
    refused = cli(*argv, "--secret-env", "RELAY_SECRET", "--dispatch", env=env)
    assert refused.code == 1 and "signature does not match" in refused.all
    assert len(_github(stand_ins).dispatches) == 1


def test_a_pipeline_without_the_change_id_is_refused_rather_than_started_unrecorded(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = CONFIG.replace(", change_id: '{{ change_id }}'", "")
    (tmp_path / "boards.yml").write_text(config)
    done = cli(*_file_args(_delivery(tmp_path)), env=env)
    assert done.code == 2, done.all
    assert "must carry {{ change_id }}" in done.all
    assert _github(stand_ins).dispatches == []


def test_an_update_no_rule_wants_says_why(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(SAMPLE.read_text())
    data["resource"]["revision"]["fields"]["System.WorkItemType"] = "Task"
    done = cli(*_file_args(_delivery(tmp_path, data)), env=env)
    assert done.code == 0, done.all
    assert "nothing to deploy" in done.out
    assert "AB#5 work_item_state_trigger: work item type Task is not one of Bug" in done.out
    assert "AB#5 tag_trigger: the update (rev 2) added no tag" in done.out
    assert _github(stand_ins).dispatches == []


def test_the_dry_run_sends_nothing_and_shows_the_dispatch(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A dry run sends nothing, so it needs no proof of the delivery either."""
    path = _delivery(tmp_path)
    done = cli("--dry-run", "trigger", "--event-file", str(path), "--dispatch", env=env)
    assert done.code == 0, done.all
    assert _github(stand_ins).dispatches == []
    assert "cloud-deploy.yml/dispatches (dry run, not sent)" in done.out
    assert "AB#5: work_item_state_trigger → cloud-deploy:" in done.out
    assert "(change id cib-" in done.out and "dispatched=0" in done.out


# -- with Azure DevOps settings: the delivery names the update, Azure DevOps says what it was


def _seeded(stand_ins: StandIns, state: str, *updates: dict[str, Any]) -> None:
    """Bug 5 of Microsoft's sample in the Azure Boards stand-in, with its history."""
    from cibridge.demo.standins.azure_boards import PROJECT, Item, boards_of

    fields = {
        "System.Id": 5,
        "System.TeamProject": PROJECT,
        "System.AreaPath": "FabrikamCloud",
        "System.WorkItemType": "Bug",
        "System.State": state,
        "System.Title": "Some great new idea!",
    }
    history = [{"id": n + 1, "rev": n + 1, "fields": u} for n, u in enumerate(updates)]
    boards_of(stand_ins).items[5] = Item(5, len(history), fields, updates=history)


def _checked_env(stand_ins: StandIns, env: dict[str, str]) -> dict[str, str]:
    return {**env, **{k: v for k, v in stand_ins.env().items() if k.startswith("AZURE_DEVOPS_")}}


NEW = {"System.State": {"newValue": "New"}}
APPROVED = {"System.State": {"oldValue": "New", "newValue": "Approved"}}


def test_with_azure_devops_settings_the_server_says_what_the_update_was(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """So an unauthenticated file is enough: it can only point at an update."""
    from cibridge.demo.standins.azure_boards import boards_of

    _seeded(stand_ins, "Approved", NEW, APPROVED)
    argv = ["trigger", "--event-file", str(_delivery(tmp_path)), "--dispatch"]
    done = cli(*argv, env=_checked_env(stand_ins, env))
    assert done.code == 0, done.all
    [started] = _github(stand_ins).dispatches
    assert started["inputs"]["work_item_id"] == "5"
    assert "checked with Azure DevOps" in done.out
    assert boards_of(stand_ins).spec_rejections == []


def test_a_delivery_that_claims_what_the_history_does_not_say_starts_nothing(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # Revision 2 changed the title; the delivery says it moved the bug to Approved.
    _seeded(stand_ins, "Approved", NEW, {"System.Title": {"newValue": "Some great new idea!"}})
    argv = ["trigger", "--event-file", str(_delivery(tmp_path)), "--dispatch"]
    done = cli(*argv, env=_checked_env(stand_ins, env))
    assert done.code == 0, done.all
    assert "the update (rev 2) did not change the state" in done.out
    assert _github(stand_ins).dispatches == []


def test_an_item_moved_on_since_the_update_is_not_deployed(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _seeded(
        stand_ins,
        "Closed",
        NEW,
        APPROVED,
        {"System.State": {"oldValue": "Approved", "newValue": "Closed"}},
    )
    argv = ["trigger", "--event-file", str(_delivery(tmp_path)), "--dispatch"]
    done = cli(*argv, env=_checked_env(stand_ins, env))
    assert done.code == 0, done.all
    assert _github(stand_ins).dispatches == []


def test_a_revision_the_item_never_had_is_a_failure(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _seeded(stand_ins, "New", NEW)
    argv = ["trigger", "--event-file", str(_delivery(tmp_path)), "--dispatch"]
    done = cli(*argv, env=_checked_env(stand_ins, env))
    assert done.code == 1, done.all
    assert "AB#5: Azure DevOps has no update to revision 2" in done.all
    assert _github(stand_ins).dispatches == []
