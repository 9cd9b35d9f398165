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


def _screen(**fields: dict[str, object]) -> dict[str, object]:
    return {"id": "41", "name": "Deploy", "to": {"name": "Deployed"}, "fields": fields}


@pytest.mark.parametrize(
    ("schema", "given", "sent"),
    [
        ({"type": "array", "items": "option"}, "a, b", [{"value": "a"}, {"value": "b"}]),
        ({"type": "array", "items": "component"}, "web,, api ", [{"name": "web"}, {"name": "api"}]),
        ({"type": "array", "items": "version"}, "1.0", [{"name": "1.0"}]),
        ({"type": "array", "items": "user"}, "ann", [{"name": "ann"}]),
        ({"type": "array", "items": "string"}, " x , y ,", ["x", "y"]),
        ({"type": "array"}, "x", ["x"]),
        ({"type": "option"}, "prod", {"value": "prod"}),
        ({"type": "priority"}, "High", {"name": "High"}),
        ({"type": "user"}, "ann", {"name": "ann"}),
        ({"type": "version"}, "1.0", {"name": "1.0"}),
        ({"type": "component"}, "web", {"name": "web"}),
        ({"type": "resolution"}, "Fixed", {"name": "Fixed"}),
        ({"type": "number"}, "42", 42),
        ({"type": "number"}, "4.5", 4.5),
        ({"type": "number"}, "forty", "forty"),  # Jira says what is wrong with it
        ({"type": "number"}, "4.x", "4.x"),
        ({"type": "string"}, "a, b", "a, b"),
        ({}, "as is", "as is"),
        ("not a schema", "as is", "as is"),
    ],
)
def test_each_field_type_is_sent_in_the_shape_jira_takes(
    schema: object, given: str, sent: object
) -> None:
    transition = _screen(customfield_1={"name": "Thing", "schema": schema})
    assert required_fields("PROJ-1", transition, "", {"customfield_1": given}) == {
        "customfield_1": sent
    }


def test_a_field_without_a_schema_is_sent_as_given() -> None:
    transition = _screen(customfield_1={"name": "Thing"})
    assert required_fields("PROJ-1", transition, "", {"Thing": "a, b"}) == {"customfield_1": "a, b"}


def test_a_field_named_by_its_screen_name_in_any_case_is_sent_by_its_id() -> None:
    transition = _screen(
        customfield_2={"name": "Build", "schema": {"type": "number"}},
        customfield_3={"name": "Deployed to", "schema": {"type": "option"}},
    )
    fields = required_fields("PROJ-1", transition, "", {"BUILD": "7", "deployed TO": "eu"})
    assert fields == {"customfield_2": 7, "customfield_3": {"value": "eu"}}


def test_a_resolution_is_sent_even_when_the_screen_has_no_resolution_field() -> None:
    # Some workflows set the resolution in a post function, not on a screen: Jira accepts it.
    assert required_fields("PROJ-1", REVIEW, "Done", {}) == {"resolution": {"name": "Done"}}
    no_fields = {"id": "5", "name": "Close", "to": {"name": "Closed"}}
    assert required_fields("PROJ-1", no_fields, "Done", {}) == {"resolution": {"name": "Done"}}
    odd = {**no_fields, "fields": ["resolution"]}  # not an object: no screen
    assert required_fields("PROJ-1", odd, "Done", {}) == {"resolution": {"name": "Done"}}
    assert required_fields("PROJ-1", REVIEW, "", {}) == {}


def test_a_resolution_given_as_a_field_wins_over_resolution() -> None:
    fields = required_fields("PROJ-1", DONE, "Fixed", {"resolution": "Won't Do"})
    assert fields == {"resolution": {"name": "Won't Do"}}


def test_a_resolution_name_in_another_letter_case_is_sent_as_offered() -> None:
    done = _offering("Done", "Won't Do")
    assert required_fields("PROJ-1", done, "won't DO", {}) == {"resolution": {"name": "Won't Do"}}
    assert required_fields("PROJ-1", done, " done ", {}) == {"resolution": {"name": "Done"}}


def test_offered_values_come_from_name_or_value_and_skip_what_is_neither() -> None:
    transition = _screen(
        customfield_1={
            "name": "Region",
            "schema": {"type": "array", "items": "option"},
            "allowedValues": [{"value": "EU"}, {"name": "US"}, {"id": "3"}, "APAC", {"value": ""}],
        }
    )
    fields = required_fields("PROJ-1", transition, "", {"Region": "eu, us"})
    assert fields == {"customfield_1": [{"value": "EU"}, {"value": "US"}]}
    with pytest.raises(JiraError) as raised:
        required_fields("PROJ-1", transition, "", {"Region": "apac"})
    assert str(raised.value).startswith("PROJ-1: Region 'apac' is not one the 'Deploy' transition")
    assert raised.value.hint == "valid: EU, US (pass --field customfield_1=VALUE)"
    assert raised.value.status == 400


def test_a_single_value_field_is_not_split_on_commas() -> None:
    transition = _screen(
        customfield_1={
            "name": "Note",
            "schema": {"type": "option"},
            "allowedValues": [{"value": "a, b"}],
        }
    )
    assert required_fields("PROJ-1", transition, "", {"Note": "A, B"}) == {
        "customfield_1": {"value": "a, b"}
    }


def test_a_value_refused_on_a_field_without_a_name_names_its_id() -> None:
    transition = _screen(
        customfield_1={"schema": {"type": "option"}, "allowedValues": [{"value": "x"}]}
    )
    with pytest.raises(JiraError, match=r"^PROJ-1: customfield_1 'y' is not one the 'Deploy'"):
        required_fields("PROJ-1", transition, "", {"customfield_1": "y"})


def test_a_field_not_on_the_screen_lists_the_screen() -> None:
    with pytest.raises(JiraError) as raised:
        required_fields("PROJ-1", DONE, "", {"priority": "High"})
    assert str(raised.value).startswith(
        "PROJ-1: field 'priority' is not on the 'Finish' transition screen"
    )
    assert (
        raised.value.hint
        == "fields on that screen: customfield_10010, customfield_10020, resolution"
    )
    assert raised.value.status == 400
    with pytest.raises(JiraError) as empty:
        required_fields("PROJ-1", REVIEW, "", {"priority": "High"})
    assert empty.value.hint == "fields on that screen: none"


def test_every_required_field_without_a_default_is_named_with_the_option_that_fills_it() -> None:
    transition = _screen(
        resolution={"required": True, "name": "Resolution"},
        customfield_1={"required": True, "name": "Build"},
        customfield_2={"required": True},  # no name: its id
        customfield_3={"required": True, "hasDefaultValue": True, "name": "Has default"},
        customfield_4={"required": False, "name": "Optional"},
        customfield_5="not an object",
    )
    with pytest.raises(JiraError) as raised:
        required_fields("PROJ-1", transition, "", {})
    assert str(raised.value).startswith(
        "PROJ-1: the 'Deploy' transition requires Resolution (resolution), Build (customfield_1), "
        "customfield_2 (customfield_2)"
    )
    assert raised.value.hint == (
        "pass --resolution NAME --field customfield_1=VALUE --field customfield_2=VALUE "
        "(in the action: the resolution / field inputs)"
    )
    assert raised.value.status == 400
    filled = required_fields("PROJ-1", transition, "Done", {"Build": "1", "customfield_2": "x"})
    assert filled == {"resolution": {"name": "Done"}, "customfield_1": "1", "customfield_2": "x"}


def test_transitions_without_a_name_or_a_target_still_choose_by_what_they_have() -> None:
    bare = {"id": "7"}
    no_name_target = {"id": "8", "to": {"id": "3"}}
    not_an_object = {"id": "9", "name": "Reopen", "to": "Open"}
    available = [bare, no_name_target, not_an_object]
    assert choose(ISSUE, available, "7") is bare
    assert choose(ISSUE, available, "reopen") is not_an_object
    # An empty wanted name does not pick a transition that has no target or name.
    with pytest.raises(JiraError) as raised:
        choose(ISSUE, available, "Open")
    assert raised.value.status == 400
    assert raised.value.hint == (
        "reachable from 'In Progress': ; check the workflow, or move the issue through an "
        "intermediate status first"
    )


def test_the_target_status_wins_over_an_id_and_a_name() -> None:
    named_done = {"id": "1", "name": "Done", "to": {"name": "Closed"}}
    to_done = {"id": "2", "name": "Close", "to": {"name": "Done"}}
    id_done = {"id": "Done", "name": "x", "to": {"name": "Other"}}
    assert choose(ISSUE, [named_done, id_done, to_done], "done") is to_done
    assert choose(ISSUE, [named_done, id_done], "Done") is id_done
    assert choose(ISSUE, [named_done, id_done], "DONE") is named_done
    first = {"id": "3", "name": "Again", "to": {"name": "Done"}}
    assert choose(ISSUE, [to_done, first], "Done") is to_done  # the first Jira lists


def test_refusals_name_the_issue_and_its_status() -> None:
    with pytest.raises(JiraError) as none:
        choose(ISSUE, [], "Done")
    assert str(none.value).startswith(
        "PROJ-1: Jira offers no transition from 'In Progress' to this account"
    )
    assert none.value.status == 403
    assert none.value.hint == (
        "the account needs the Transition Issues permission in project PROJ (or the workflow "
        "has no transition out of 'In Progress')"
    )
    with pytest.raises(JiraError) as unreachable:
        choose(ISSUE, [REVIEW, DONE, REVIEW], "Deployed")
    assert str(unreachable.value).startswith(
        "PROJ-1: cannot reach status 'Deployed' from 'In Progress'"
    )
    assert unreachable.value.hint == (
        "reachable from 'In Progress': Done, In Review; check the workflow, or move the issue "
        "through an intermediate status first"
    )


def test_a_resolution_field_without_a_schema_is_still_sent_by_name() -> None:
    # Jira refuses a bare string for the resolution ("Could not find valid 'id' or 'name'").
    transition = _screen(resolution={"required": True, "name": "Resolution"})
    assert required_fields("PROJ-1", transition, "Done", {}) == {"resolution": {"name": "Done"}}
    assert required_fields("PROJ-1", transition, "", {"Resolution": "Done"}) == {
        "resolution": {"name": "Done"}
    }


def test_a_number_without_a_point_is_sent_as_an_integer() -> None:
    import json

    transition = _screen(customfield_1={"name": "Build", "schema": {"type": "number"}})
    sent = required_fields("PROJ-1", transition, "", {"Build": "42"})
    assert json.dumps(sent) == '{"customfield_1": 42}'
    sent = required_fields("PROJ-1", transition, "", {"Build": "42.0"})
    assert json.dumps(sent) == '{"customfield_1": 42.0}'


def test_a_field_given_by_id_goes_to_that_id_even_when_another_field_is_named_like_it() -> None:
    transition = _screen(
        customfield_5={"name": "Resolution", "schema": {"type": "string"}},
        resolution={"name": "Resolution", "schema": {"type": "resolution"}},
    )
    assert required_fields("PROJ-1", transition, "Done", {}) == {"resolution": {"name": "Done"}}
    by_name = required_fields("PROJ-1", transition, "", {"RESOLUTION": "notes"})
    assert by_name == {"customfield_5": "notes"}  # a name picks the first field so named


@pytest.mark.parametrize("name", ["None", "XXXX", "null"])
def test_a_transition_or_field_without_a_name_is_found_by_no_name(name: str) -> None:
    nameless = {"id": "7", "to": {"name": "Done"}}
    with pytest.raises(JiraError, match="cannot reach status"):
        choose(ISSUE, [nameless], name)
    transition = _screen(customfield_1={"schema": {"type": "string"}})
    with pytest.raises(JiraError, match="is not on the 'Deploy' transition screen"):
        required_fields("PROJ-1", transition, "", {name: "x"})
    named = _screen(customfield_1={"schema": {"type": "string"}}, customfield_2={"name": name})
    assert required_fields("PROJ-1", named, "", {name: "x"}) == {"customfield_2": "x"}
