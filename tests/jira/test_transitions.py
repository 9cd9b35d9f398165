from __future__ import annotations

import pytest

from cibridge.clients.jira import Issue, JiraError
from cibridge.jira.transitions import choose, required_fields

ISSUE = Issue("PROJ-1", "10001", "Fix it", "In Progress", "PROJ", "10000", "Bug", [], [])
DONE = {
    "id": "31",
    "name": "Finish",
    "to": {"name": "Done"},
    "fields": {
        "resolution": {
            "required": True,
            "name": "Resolution",
            "schema": {"type": "resolution"},
            "hasDefaultValue": False,
        },
        "customfield_10010": {
            "required": False,
            "name": "Deployed to",
            "schema": {"type": "array", "items": "option"},
        },
        "customfield_10020": {
            "required": True,
            "name": "Build",
            "schema": {"type": "number"},
            "hasDefaultValue": True,
        },
    },
}
REVIEW = {"id": "21", "name": "Send to review", "to": {"name": "In Review"}, "fields": {}}


def test_chosen_by_target_status_case_insensitive_then_id_then_name() -> None:
    assert choose(ISSUE, [REVIEW, DONE], "done") is DONE
    assert choose(ISSUE, [REVIEW, DONE], "21") is REVIEW
    assert choose(ISSUE, [REVIEW, DONE], "send TO review") is REVIEW


def test_no_transitions_is_a_permission_problem() -> None:
    with pytest.raises(JiraError, match="offers no transition") as raised:
        choose(ISSUE, [], "Done")
    assert "Transition Issues permission" in raised.value.hint


def test_unreachable_status_lists_the_reachable_ones() -> None:
    with pytest.raises(JiraError, match="cannot reach status 'Deployed'") as raised:
        choose(ISSUE, [REVIEW, DONE], "Deployed")
    assert "Done, In Review" in raised.value.hint


def test_required_fields_filled_and_typed() -> None:
    fields = required_fields("PROJ-1", DONE, "Fixed", {"Deployed to": "prod, eu"})
    assert fields == {
        "resolution": {"name": "Fixed"},
        "customfield_10010": [{"value": "prod"}, {"value": "eu"}],
    }


def test_missing_required_field_is_named_before_jira_is_asked() -> None:
    with pytest.raises(JiraError, match=r"requires Resolution \(resolution\)") as raised:
        required_fields("PROJ-1", DONE, "", {})
    assert "--resolution" in raised.value.hint


def test_field_not_on_the_screen() -> None:
    with pytest.raises(JiraError, match="'priority' is not on the 'Send to review'"):
        required_fields("PROJ-1", REVIEW, "", {"priority": "High"})


def _offering(*names: str) -> dict[str, object]:
    """DONE, its screen offering these resolutions and deployment options, as Jira lists
    them under ``allowedValues``."""
    fields = dict(DONE["fields"])  # type: ignore[call-overload]
    resolution = {**fields["resolution"], "allowedValues": [{"id": "1", "name": n} for n in names]}
    options = [{"id": "10100", "value": "staging"}, {"id": "10101", "value": "production"}]
    deployed = {**fields["customfield_10010"], "allowedValues": options}
    return {**DONE, "fields": {**fields, "resolution": resolution, "customfield_10010": deployed}}


def test_a_resolution_the_screen_does_not_offer_lists_the_ones_it_does() -> None:
    done = _offering("Done", "Won't Do")
    with pytest.raises(JiraError) as raised:
        required_fields("PROJ-1", done, "Fixed", {})
    assert str(raised.value).startswith(
        "PROJ-1: Resolution 'Fixed' is not one the 'Finish' transition offers"
    )
    assert raised.value.hint == "valid: Done, Won't Do (pass --resolution NAME)"
    with pytest.raises(JiraError, match="Deployed to 'qa' is not one") as option:
        required_fields("PROJ-1", done, "Done", {"customfield_10010": "staging, qa"})
    assert option.value.hint == "valid: staging, production (pass --field customfield_10010=VALUE)"


def test_an_offered_value_in_another_letter_case_is_sent_as_the_screen_spells_it() -> None:
    fields = required_fields("PROJ-1", _offering("Done"), "done", {"Deployed to": "PRODUCTION"})
    assert fields == {
        "resolution": {"name": "Done"},
        "customfield_10010": [{"value": "production"}],
    }
