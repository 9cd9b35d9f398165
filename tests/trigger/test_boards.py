"""deployment_triggers.azure_devops: Microsoft's recorded workitem.updated delivery read
into one change, and the rules applied to it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cibridge.config.loader import load as load_config
from cibridge.core.errors import CibridgeError
from cibridge.trigger import boards
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "azure-devops" / "service-hooks" / "workitem.updated.json"
RULES = """deployment_triggers:
  azure_devops:
    work_item_state_trigger:
      work_item_types: [Bug, User Story]
      target_state: approved
      pipeline_mapping:
        FabrikamCloud: cloud-deploy
        'FabrikamCloud\\Payments': payments-deploy
    tag_trigger:
      area_paths: [FabrikamCloud]
      tags: [deploy-staging, deploy-prod]
      pipeline_mapping:
        deploy-staging: staging-deploy
        deploy-prod: prod-deploy
"""


def sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text())
    return loaded


def rules(tmp_path: Path, text: str = RULES) -> list[boards.BoardsRule]:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return boards.load(load_config([path], {}))


def test_microsofts_sample_is_one_update_of_bug_5() -> None:
    change = boards.parse(sample(), "the sample")
    # workItemId is 0 in Microsoft's sample: the revision names the item.
    assert (change.id, change.rev, change.key) == (5, 2, "AB#5")
    assert (change.type, change.area_path) == ("Bug", "FabrikamCloud")
    assert change.title == "Some great new idea!"
    # The update's own fields say what changed; the revision's State is Microsoft's stale copy.
    assert (change.state_before, change.state) == ("New", "Approved")
    assert change.tags_added == ()


def test_the_id_comes_from_the_parent_link_when_nothing_else_names_it() -> None:
    data = sample()
    del data["resource"]["revision"]["id"]
    assert boards.parse(data, "x").id == 5
    data["resource"]["workItemId"] = 41
    assert boards.parse(data, "x").id == 41


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"eventType": "workitem.commented"}, "Work item updated"),
        ({"resource": "x"}, "no resource object"),
        ({"resource": {"rev": 2}}, "names no work item id"),
        ({"resource": {"workItemId": 5, "rev": True}}, "names no work item id"),
    ],
)
def test_a_body_that_is_not_an_update_is_a_usage_error(
    change: dict[str, Any], complaint: str
) -> None:
    data = {"eventType": "workitem.updated", **change}
    with pytest.raises(CibridgeError) as raised:
        boards.parse(data, "TRIGGER_PAYLOAD")
    assert complaint in str(raised.value) + (raised.value.hint or "")
    assert raised.value.exit_code == 2


def test_the_state_rule_maps_the_most_specific_area_path(tmp_path: Path) -> None:
    configured = rules(tmp_path)
    verdict = boards.evaluate(configured, boards.parse(sample(), "x"))
    [match] = verdict.matches
    assert (match.rule, match.pipeline, match.issue) == (
        "work_item_state_trigger",
        "cloud-deploy",
        "AB#5",
    )
    assert match.change == "rev:2" and match.why == "Bug moved from New to Approved"
    deeper = sample()
    deeper["resource"]["revision"]["fields"]["System.AreaPath"] = "FabrikamCloud\\Payments\\EU"
    [match] = boards.evaluate(configured, boards.parse(deeper, "x")).matches
    assert match.pipeline == "payments-deploy"
    # "FabrikamCloudy" is not under "FabrikamCloud".
    elsewhere = sample()
    elsewhere["resource"]["revision"]["fields"]["System.AreaPath"] = "FabrikamCloudy"
    verdict = boards.evaluate(configured, boards.parse(elsewhere, "x"))
    assert verdict.matches == []
    assert "has no pipeline in pipeline_mapping" in verdict.reasons["work_item_state_trigger"]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"System.WorkItemType": "Task"}, "work item type Task is not one of Bug, User Story"),
        ({"System.AreaPath": "Other"}, "has no pipeline"),
    ],
)
def test_the_state_rule_says_why_it_did_not_match(
    tmp_path: Path, edit: dict[str, str], reason: str
) -> None:
    data = sample()
    data["resource"]["revision"]["fields"].update(edit)
    verdict = boards.evaluate(rules(tmp_path), boards.parse(data, "x"))
    assert verdict.matches == [] and reason in verdict.reasons["work_item_state_trigger"]


def test_an_update_that_did_not_touch_the_state_is_no_state_change(tmp_path: Path) -> None:
    """A later edit of an item already in the state (a comment, a new title) is not the
    change that deploys: only the update that moved it there is."""
    data = sample()
    del data["resource"]["fields"]["System.State"]
    data["resource"]["revision"]["fields"]["System.State"] = "Approved"
    verdict = boards.evaluate(rules(tmp_path), boards.parse(data, "x"))
    assert verdict.matches == []
    assert "did not change the state" in verdict.reasons["work_item_state_trigger"]
    moved = sample()
    moved["resource"]["fields"]["System.State"]["newValue"] = "Resolved"
    verdict = boards.evaluate(rules(tmp_path), boards.parse(moved, "x"))
    assert "moved it to Resolved, not approved" in verdict.reasons["work_item_state_trigger"]


def _tagged(before: str, after: str, area: str = "FabrikamCloud") -> dict[str, Any]:
    data = copy.deepcopy(sample())
    del data["resource"]["fields"]["System.State"]
    data["resource"]["fields"]["System.Tags"] = {"oldValue": before, "newValue": after}
    data["resource"]["revision"]["fields"]["System.AreaPath"] = area
    return data


def test_the_tag_rule_fires_for_each_tag_the_update_added(tmp_path: Path) -> None:
    data = _tagged("deploy-staging; keep", "deploy-staging; keep; Deploy-Prod; other")
    change = boards.parse(data, "x")
    assert change.tags_added == ("Deploy-Prod", "other")
    [match] = boards.evaluate(rules(tmp_path), change).matches
    assert (match.rule, match.pipeline, match.why) == (
        "tag_trigger",
        "prod-deploy",
        "tag Deploy-Prod added",
    )


def test_the_tag_rule_keeps_to_its_area_paths(tmp_path: Path) -> None:
    change = boards.parse(_tagged("", "deploy-prod", area="Elsewhere\\Team"), "x")
    verdict = boards.evaluate(rules(tmp_path), change)
    assert verdict.matches == []
    assert "is not under FabrikamCloud" in verdict.reasons["tag_trigger"]
    removed = boards.parse(_tagged("deploy-prod", ""), "x")
    assert "added no tag" in boards.evaluate(rules(tmp_path), removed).reasons["tag_trigger"]


def test_a_state_rule_without_a_target_state_names_its_line(tmp_path: Path) -> None:
    text = "deployment_triggers:\n  azure_devops:\n    work_item_state_trigger:\n      pipeline_mapping: {A: b}\n"
    with pytest.raises(
        CibridgeError, match=r"c\.yml:4: work_item_state_trigger has no target_state"
    ):
        rules(tmp_path, text)


def test_unknown_keys_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("deployment_triggers:\n  azure_devops:\n    tag_trigger:\n      labels: [x]\n")
    with pytest.raises(CibridgeError, match="labels"):
        load_config([path], {})
