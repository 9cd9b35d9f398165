"""What installing a service's group through the ruler changes, and where the ruler is."""

from __future__ import annotations

from typing import Any

import pytest

from cibridge.gate.ruler import Step, plan

RULE = {"alert": "Errors", "expr": "(up) < 1", "for": "300s", "labels": {"severity": "critical"}}


def _document(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{"name": "cibridge-gate-api", "rules": list(rules)}]}


def test_a_new_group_is_added() -> None:
    assert plan(_document(RULE), {}) == [
        Step("cibridge-gate-api", "added", _document(RULE)["groups"][0])
    ]


def test_the_rulers_own_spelling_of_the_same_group_is_unchanged() -> None:
    # Mimir lists durations the Go way and leaves out empty fields.
    theirs = {"name": "cibridge-gate-api", "rules": [{**RULE, "for": "5m", "annotations": {}}]}
    assert plan(_document(RULE), {"cibridge-gate-api": theirs}) == [
        Step("cibridge-gate-api", "unchanged")
    ]


@pytest.mark.parametrize(
    "edit", [{"expr": "(up) < 0.5"}, {"for": "10m"}, {"labels": {"severity": "warning"}}]
)
def test_any_edit_is_a_change(edit: dict[str, Any]) -> None:
    current = {"cibridge-gate-api": _document(RULE)["groups"][0]}
    (step,) = plan(_document({**RULE, **edit}), current)
    assert step.action == "changed" and step.body == _document({**RULE, **edit})["groups"][0]


def test_a_group_without_rules_is_removed_when_there_and_ignored_when_not() -> None:
    current = {"cibridge-gate-api": _document(RULE)["groups"][0]}
    assert plan(_document(), current) == [Step("cibridge-gate-api", "removed")]
    assert plan(_document(), {}) == []


def test_groups_cibridge_does_not_own_are_left_alone() -> None:
    current = {"team-rules": {"name": "team-rules", "rules": [RULE]}}
    assert [step.group for step in plan(_document(RULE), current)] == ["cibridge-gate-api"]
