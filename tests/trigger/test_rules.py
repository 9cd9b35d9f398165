"""The seed's rules, applied to issues as Jira describes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.clients.jira import FixVersion, Issue
from cibridge.config.loader import load
from cibridge.core.errors import CibridgeError
from cibridge.trigger import rules
from tests.trigger.helpers import SEED


@pytest.fixture
def seed_rules() -> list[rules.Rule]:
    return rules.load(load([SEED], {}))


def _issue(**fields: object) -> Issue:
    base: dict[str, object] = {"key": "PROJ1-7", "summary": "s", "project": "PROJ1"}
    base.update(fields)
    return Issue(**base)  # type: ignore[arg-type]


def test_status_matches_type_and_status_case_insensitively(seed_rules: list[rules.Rule]) -> None:
    verdict = rules.evaluate(seed_rules, _issue(issue_type="bug", status="ready for deployment"))
    (match,) = verdict.matches
    assert (match.rule, match.pipeline) == ("issue_status_trigger", "project1-deployment-pipeline")
    assert verdict.reasons["label_trigger"].startswith("the issue has no labels")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"issue_type": "Task", "status": "Ready for Deployment"},
            "issue type Task is not one of Story, Bug",
        ),
        (
            {"issue_type": "Story", "status": "In Review"},
            "status is In Review, not Ready for Deployment",
        ),
        (
            {
                "issue_type": "Story",
                "status": "Ready for Deployment",
                "project": "OPS",
                "key": "OPS-1",
            },
            "project OPS has no pipeline in pipeline_mapping",
        ),
    ],
)
def test_status_reasons(
    seed_rules: list[rules.Rule], fields: dict[str, object], reason: str
) -> None:
    verdict = rules.evaluate(seed_rules, _issue(**fields))
    assert not verdict.matches
    assert verdict.reasons["issue_status_trigger"].startswith(reason)


def test_each_configured_label_maps_to_its_pipeline(seed_rules: list[rules.Rule]) -> None:
    verdict = rules.evaluate(
        seed_rules, _issue(labels=["release-candidate", "x", "deploy-to-prod"])
    )
    assert [(m.pipeline, m.history_value) for m in verdict.matches] == [
        ("production-deployment-pipeline", "deploy-to-prod"),
        ("staging-deployment-pipeline", "release-candidate"),
    ]


def test_only_released_versions_matching_the_pattern(seed_rules: list[rules.Rule]) -> None:
    versions = [
        FixVersion("1", "v1.2.3", True),
        FixVersion("2", "v1.2.4", False),
        FixVersion("3", "2024.06", True),
        FixVersion("4", "v2.0.0", True),
    ]
    verdict = rules.evaluate(seed_rules, _issue(fix_versions=versions))
    assert [(m.version, m.change) for m in verdict.matches] == [
        ("v1.2.3", "version:1"),
        ("v2.0.0", "version:4"),
    ]
    assert all(m.pipeline == "version-deployment-pipeline" for m in verdict.matches)
    none = rules.evaluate(seed_rules, _issue(fix_versions=versions[1:3]))
    assert (
        none.reasons["version_trigger"]
        == "v1.2.4 is not released; 2024.06 does not match ^v\\d+\\.\\d+\\.\\d+$"
    )


def test_first_matching_mapping_regex_wins(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "deployment_triggers:\n  jira:\n    version_trigger:\n      version_pattern: '^v'\n"
        "      pipeline_mapping:\n        '^v1\\.': legacy\n        '.*': current\n"
    )
    loaded = rules.load(load([path], {}))
    verdict = rules.evaluate(
        loaded, _issue(fix_versions=[FixVersion("1", "v1.0", True), FixVersion("2", "v2.0", True)])
    )
    assert [m.pipeline for m in verdict.matches] == ["legacy", "current"]


def test_a_disabled_rule_says_so_and_sends_no_query(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "deployment_triggers:\n  jira:\n    label_trigger:\n      enabled: false\n      labels: [a]\n      pipeline_mapping: {a: p}\n"
    )
    (rule,) = rules.load(load([path], {}))
    assert rule.jql() is None
    assert rules.evaluate([rule], _issue(labels=["a"])).reasons == {"label_trigger": "disabled"}


def test_a_bad_pattern_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "deployment_triggers:\n  jira:\n    version_trigger:\n      version_pattern: '(['\n"
    )
    with pytest.raises(
        CibridgeError, match=r"c.yml:4: version_pattern '\(\[' is not a valid regular"
    ):
        rules.load(load([path], {}))


def test_one_query_per_rule_with_quoted_values(seed_rules: list[rules.Rule]) -> None:
    assert [r.jql() for r in seed_rules] == [
        'project in ("PROJ1", "PROJ2") AND issuetype in ("Story", "Bug") AND status = "Ready for Deployment"',
        'labels in ("deploy-to-prod", "release-candidate")',
        "fixVersion in releasedVersions()",
    ]
