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
    assert verdict.reasons["label_trigger"] == (
        "the issue has no labels (rule looks for deploy-to-prod, release-candidate)"
    )


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


def _rules(tmp_path: Path, yaml: str) -> list[rules.Rule]:
    path = tmp_path / "c.yml"
    path.write_text("deployment_triggers:\n  jira:\n" + yaml)
    return rules.load(load([path], {}))


def test_the_rules_load_in_the_seeds_order_with_their_settings(
    seed_rules: list[rules.Rule],
) -> None:
    status, label, version = seed_rules
    assert (status.name, label.name, version.name) == (rules.STATUS, rules.LABEL, rules.VERSION)
    assert rules.SECTION == ("deployment_triggers", "jira")
    assert all(rule.enabled for rule in seed_rules)
    assert status.issue_types == ("Story", "Bug")
    assert status.target_status == "Ready for Deployment"
    assert status.mapping == {
        "PROJ1": "project1-deployment-pipeline",
        "PROJ2": "project2-deployment-pipeline",
    }
    assert label.labels == ("deploy-to-prod", "release-candidate")
    assert version.pattern is not None and version.pattern.pattern == r"^v\d+\.\d+\.\d+$"
    assert [(p.pattern, name) for p, name in version.patterns] == [
        (".*", "version-deployment-pipeline")
    ]
    assert version.released_within == 2 * 86400.0 == rules.DEFAULT_RELEASED_WITHIN
    assert status.where.endswith("deployment-triggers.yml:6")


def test_a_labels_list_that_differs_from_the_mapping(tmp_path: Path) -> None:
    # Only labels both listed and mapped can start anything: "b" has no pipeline, "c" is
    # mapped but not listed.
    (rule,) = _rules(
        tmp_path,
        "    label_trigger:\n      labels: [a, b]\n      pipeline_mapping: {a: pa, c: pc}\n",
    )
    assert rule.labels == ("a", "b")
    assert rule.jql() == 'labels in ("a")'
    verdict = rules.evaluate([rule], _issue(labels=["c", "b", "a"]))
    assert [(m.pipeline, m.history_value) for m in verdict.matches] == [("pa", "a")]
    missed = rules.evaluate([rule], _issue(labels=["c", "b"]))
    assert missed.matches == []
    assert missed.reasons == {"label_trigger": "none of its labels (c, b) is one of a, b"}


def test_without_a_labels_list_the_mapped_labels_are_the_labels(tmp_path: Path) -> None:
    (rule,) = _rules(tmp_path, "    label_trigger:\n      pipeline_mapping: {a: pa, c: pc}\n")
    assert rule.labels == ("a", "c")
    assert rule.jql() == 'labels in ("a", "c")'
    (nothing,) = _rules(tmp_path, "    label_trigger:\n      enabled: true\n")
    assert nothing.labels == () and nothing.mapping == {} and nothing.jql() is None
    verdict = rules.evaluate([nothing], _issue())
    assert verdict.reasons == {"label_trigger": "the issue has no labels (rule looks for none)"}


def test_a_label_match_carries_the_issue_and_the_label_history_to_look_in(
    seed_rules: list[rules.Rule],
) -> None:
    verdict = rules.evaluate(seed_rules, _issue(summary="Ship it", labels=["deploy-to-prod"]))
    (match,) = verdict.matches
    assert match == rules.Match(
        "label_trigger",
        "production-deployment-pipeline",
        "PROJ1-7",
        "Ship it",
        "label deploy-to-prod",
        "",
        "",
        "labels",
        "deploy-to-prod",
    )
    assert set(verdict.reasons) == {"issue_status_trigger", "version_trigger"}
    assert verdict.reasons["version_trigger"] == "the issue has no fix version"
    assert verdict.reasons["issue_status_trigger"] == "issue type ? is not one of Story, Bug"


def test_a_status_match_carries_the_values_passed_to_the_pipeline(
    seed_rules: list[rules.Rule],
) -> None:
    issue = _issue(summary="Fix login", issue_type="Story", status="Ready for Deployment")
    (match,) = rules.evaluate(seed_rules, issue).matches
    assert match == rules.Match(
        "issue_status_trigger",
        "project1-deployment-pipeline",
        "PROJ1-7",
        "Fix login",
        "Story in Ready for Deployment",
        "",
        "",
        "status",
        "Ready for Deployment",
    )


def test_a_status_reason_names_an_empty_status(seed_rules: list[rules.Rule]) -> None:
    verdict = rules.evaluate(seed_rules, _issue(issue_type="Story"))
    assert verdict.reasons["issue_status_trigger"] == "status is ?, not Ready for Deployment"


def test_a_project_mapped_in_lower_case_is_found(tmp_path: Path) -> None:
    (loaded,) = _rules(
        tmp_path,
        "    issue_status_trigger:\n      target_status: Done\n"
        "      pipeline_mapping: {proj1: p1}\n",
    )
    assert loaded.mapping == {"PROJ1": "p1"}
    assert loaded.issue_types == ()
    assert loaded.jql() == 'project in ("PROJ1") AND status = "Done"'
    (match,) = rules.evaluate([loaded], _issue(status="done", issue_type="Epic")).matches
    assert match.pipeline == "p1" and match.history_value == "done"
    # A rule built by hand with a lower-case key: the upper-cased key still finds it.
    built = rules.Rule(rules.STATUS, True, {"x": "nope", "proj1": "p1"}, "c.yml:1", (), "Done")
    (match,) = rules.evaluate([built], _issue(status="Done")).matches
    assert match.pipeline == "p1"
    other = rules.evaluate([built], _issue(status="Done", project="OPS"))
    assert other.reasons == {
        "issue_status_trigger": "project OPS has no pipeline in pipeline_mapping (c.yml:1)"
    }


def test_rules_that_can_match_nothing_send_no_query(tmp_path: Path) -> None:
    status_no_target, label_unmapped, version_unmapped = _rules(
        tmp_path,
        "    issue_status_trigger:\n      pipeline_mapping: {PROJ1: p}\n"
        "    label_trigger:\n      labels: [a]\n      pipeline_mapping: {b: p}\n"
        "    version_trigger:\n      version_pattern: '^v'\n",
    )
    assert status_no_target.target_status == ""
    assert [r.jql() for r in (status_no_target, label_unmapped, version_unmapped)] == [
        None,
        None,
        None,
    ]
    (status_unmapped,) = _rules(tmp_path, "    issue_status_trigger:\n      target_status: Done\n")
    assert status_unmapped.mapping == {} and status_unmapped.jql() is None
    disabled = rules.Rule(rules.STATUS, False, {"PROJ1": "p"}, "c.yml:1", (), "Done")
    assert disabled.jql() is None
    enabled = rules.Rule(rules.STATUS, True, {"PROJ1": "p"}, "c.yml:1", (), "Done")
    assert enabled.jql() == 'project in ("PROJ1") AND status = "Done"'


def test_a_rule_is_enabled_unless_it_says_false(tmp_path: Path) -> None:
    loaded = _rules(
        tmp_path,
        "    issue_status_trigger:\n      enabled: true\n"
        "    label_trigger: {}\n"
        "    version_trigger:\n      enabled: false\n",
    )
    assert [(r.name, r.enabled) for r in loaded] == [
        ("issue_status_trigger", True),
        ("label_trigger", True),
        ("version_trigger", False),
    ]
    assert _rules(tmp_path, "    {}\n") == []  # no rule configured: none


def test_a_released_version_no_pattern_maps_says_so(tmp_path: Path) -> None:
    (rule,) = _rules(
        tmp_path,
        "    version_trigger:\n      version_pattern: '^v'\n"
        "      pipeline_mapping:\n        '^v1\\.': legacy\n",
    )
    versions = [FixVersion("1", "v2.0", True), FixVersion("2", "v1.0", True, "2026-01-02")]
    verdict = rules.evaluate([rule], _issue(summary="Release", fix_versions=versions))
    assert verdict.matches == [
        rules.Match(
            "version_trigger",
            "legacy",
            "PROJ1-7",
            "Release",
            "version v1.0 released",
            "v1.0",
            "version:2",
            released="2026-01-02",
        )
    ]
    missed = rules.evaluate([rule], _issue(fix_versions=versions[:1]))
    assert missed.reasons == {"version_trigger": "no pipeline_mapping pattern matches v2.0"}


def test_a_version_without_an_id_is_its_name(tmp_path: Path) -> None:
    (rule,) = _rules(tmp_path, "    version_trigger:\n      pipeline_mapping: {'.': p}\n")
    assert rule.pattern is not None and rule.pattern.pattern == ".*"
    (match,) = rules.evaluate([rule], _issue(fix_versions=[FixVersion("", "1.0", True)])).matches
    assert (match.change, match.version, match.pipeline) == ("version:1.0", "1.0", "p")


@pytest.mark.parametrize(("text", "seconds"), [("1d", 86400.0), ("90m", 5400.0), ("30s", 30.0)])
def test_released_within_is_a_duration(tmp_path: Path, text: str, seconds: float) -> None:
    (rule,) = _rules(
        tmp_path,
        f"    version_trigger:\n      pipeline_mapping: {{'.': p}}\n      released_within: {text}\n",
    )
    assert rule.released_within == seconds


def test_a_released_within_that_is_no_duration_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError, match=r"c\.yml:5: 'soon' is not a duration"):
        _rules(
            tmp_path,
            "    version_trigger:\n      pipeline_mapping: {'.': p}\n      released_within: soon\n",
        )


def test_a_bad_mapping_pattern_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as raised:
        _rules(
            tmp_path,
            "    version_trigger:\n      pipeline_mapping:\n        '.': ok\n        '(': p\n",
        )
    assert (
        "c.yml:6: pipeline_mapping key '(' is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0"
    ) in str(raised.value)
    assert raised.value.hint == (
        "fix the pattern (Python re syntax; escape backslashes in YAML double quotes)"
    )


def test_a_bad_version_pattern_names_its_own_line_and_at_most_60_characters(
    tmp_path: Path,
) -> None:
    pattern = "(" + "a" * 70
    with pytest.raises(CibridgeError) as raised:
        _rules(
            tmp_path,
            f"    version_trigger:\n      enabled: true\n      version_pattern: '{pattern}'\n",
        )
    assert f"c.yml:5: version_pattern {pattern[:60]!r} is not a valid regular expression" in str(
        raised.value
    )


def test_an_exact_project_key_wins_over_one_in_another_case() -> None:
    built = rules.Rule(
        rules.STATUS, True, {"Proj1": "mixed", "PROJ1": "exact"}, "c.yml:1", (), "Done"
    )
    (match,) = rules.evaluate([built], _issue(status="Done")).matches
    assert match.pipeline == "exact"


def test_each_rule_knows_its_line_and_mapping(tmp_path: Path) -> None:
    status, label, version = _rules(
        tmp_path,
        "    issue_status_trigger:\n      target_status: Done\n"
        "    label_trigger:\n      pipeline_mapping: {a: pa}\n"
        "    version_trigger:\n      pipeline_mapping: {'^v': pv}\n",
    )
    assert [r.where.rsplit("/", 1)[-1] for r in (status, label, version)] == [
        "c.yml:4",
        "c.yml:6",
        "c.yml:8",
    ]
    assert (label.mapping, version.mapping) == ({"a": "pa"}, {"^v": "pv"})
