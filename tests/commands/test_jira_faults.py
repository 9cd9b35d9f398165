"""`cibridge jira` when Jira misbehaves for some issues: each issue gets its own verdict, the
others go on, and nothing that is not idempotent is sent twice."""

from __future__ import annotations

import json

import pytest

from cibridge.demo.standins import StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN


@pytest.fixture
def env(stand_ins: StandIns) -> dict[str, str]:
    return {**stand_ins.env(), "CIBRIDGE_HTTP_RETRIES": "2"}


def test_a_403_on_one_project_fails_its_issues_only(cli, stand_ins: StandIns, env) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.forbid("OPS")
    result = cli(
        "jira", "--issue", "PROJ-1", "--issue", "OPS-1", "--transition", "Done", "--resolution", "Done", "--comment",
        "--environment", "staging", env=env,
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done" and len(jira.issue("PROJ-1").comments) == 1
    assert jira.issue("OPS-1").status == "In Progress" and jira.issue("OPS-1").comments == []
    assert "OPS-1" in result.all and "HTTP 403" in result.all
    assert "lacks a permission" in result.all  # the fix, not only the status
    assert JIRA_TOKEN not in result.all


def test_a_409_storm_on_one_issue_is_not_retried_and_the_rest_go_on(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.storm("PROJ-3", 50, status=409)
    result = cli(
        "jira", "--issue", "PROJ-1", "--issue", "PROJ-3", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done"
    assert jira.issue("PROJ-3").status == "In Review"
    assert "PROJ-3" in result.all and "HTTP 409" in result.all
    # The first request for PROJ-3 failed and was not repeated: a conflict is not transient.
    assert jira.knobs.storms["PROJ-3"].remaining == 49


def test_a_short_429_storm_is_waited_out(cli, stand_ins: StandIns, env) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.retry_after = 0
    jira.knobs.storm("PROJ-3", 2, status=429)
    result = cli(
        "jira", "--issue", "PROJ-3", "--transition", "Done", "--resolution", "Done", env=env
    )
    assert result.code == 0, result.all
    assert jira.issue("PROJ-3").status == "Done"
    assert jira.knobs.storms["PROJ-3"].remaining == 0


def test_a_429_storm_that_does_not_end_fails_that_issue_after_the_retries(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.knobs.retry_after = 0
    jira.knobs.storm("PROJ-3", 100, status=429)
    result = cli(
        "jira", "--issue", "PROJ-3", "--issue", "PROJ-1", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert result.code == 1, result.all
    assert jira.issue("PROJ-1").status == "Done"
    assert "PROJ-3" in result.all and "HTTP 429" in result.all
    assert "run again later" in result.all
    assert jira.knobs.storms["PROJ-3"].remaining == 100 - 3  # one try and two retries


def test_a_screen_field_the_run_did_not_fill_names_the_field_and_the_option(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    jira.require_field("Done", "customfield_10077", "Change risk")
    missing = cli(
        "jira", "--issue", "PROJ-1", "--issue", "OPS-1", "--transition", "Done", "--resolution", "Done", env=env
    )  # fmt: skip
    assert missing.code == 1, missing.all
    assert "Change risk" in missing.all and "--field customfield_10077=" in missing.all
    assert jira.issue("PROJ-1").status == "In Progress"
    filled = cli(
        "jira", "--issue", "PROJ-1", "--transition", "Done", "--resolution", "Done", "--field", "customfield_10077=low",
        env=env,
    )  # fmt: skip
    assert filled.code == 0, filled.all
    assert jira.issue("PROJ-1").status == "Done"
    assert jira.issue("PROJ-1").fields.get("customfield_10077") == "low"


@pytest.mark.parametrize("value", ["foo", "PROJ", "123", "PROJ-", "-12", "PROJ-1 OPS-2"])
def test_an_issue_option_that_is_not_a_key_is_a_usage_error(
    cli, stand_ins: StandIns, env, value: str
) -> None:  # type: ignore[no-untyped-def]
    result = cli("jira", "--issue", value, "--transition", "Done", "--resolution", "Done", env=env)
    assert result.code == 2, result.all
    assert "is not a Jira issue key" in result.all and "--issue PROJ-123" in result.all


def test_issue_keys_given_by_hand_are_upper_cased_and_deduplicated(
    cli, stand_ins: StandIns, env
) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "jira",
        "--issue",
        "proj-1",
        "--issue",
        "PROJ-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        env=env,
    )
    assert result.code == 0, result.all
    assert result.all.count("PROJ-1: transition done") == 1


def test_many_issues_fit_gitlabs_dotenv_report(cli, stand_ins: StandIns, env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    keys = [jira.add_issue("PROJ", f"bulk {n}") for n in range(450)]
    dotenv = tmp_path / "cibridge-jira.env"
    gitlab = {"GITLAB_CI": "true", "CIBRIDGE_DOTENV": str(dotenv), "CI_JOB_ID": "7"}
    argv = [arg for key in keys for arg in ("--issue", key)]
    result = cli("jira", "--no-context", *argv, env={**env, **gitlab})
    assert result.code == 0, result.all
    values = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    listed = json.loads(values["issues"])
    assert listed == keys[: len(listed)] and 0 < len(listed) < 450
    assert len(dotenv.read_bytes()) <= 5 * 1024
    assert f"the issues output lists {len(listed)} of 450" in result.all
