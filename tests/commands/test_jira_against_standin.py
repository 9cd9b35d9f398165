"""`cibridge jira` against the stateful Jira stand-in, which checks every v3 request against
Atlassian's OpenAPI description and every comment against the ADF schema."""

from __future__ import annotations

from cibridge.demo.standins import StandIns, jira_of


def test_transition_comment_link_and_version_then_a_rerun_adds_nothing(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    env = {**stand_ins.env(), "CIBRIDGE_HTTP_RETRIES": "0"}
    argv = [
        "jira",
        "--issue",
        "PROJ-1",
        "--issue",
        "lock-1",
        "--issue",
        "SEC-1",
        "--transition",
        "Done",
        "--resolution",
        "Done",
        "--comment",
        "--environment",
        "production",
        "--fix-version",
        "v9.9.9",
    ]
    first = cli(*argv, env=env)
    assert first.code == 1, first.all  # LOCK-1 cannot move; SEC-1 is invisible
    proj = jira.issue("PROJ-1")
    assert proj.status == "Done" and proj.resolution == "Done"
    assert len(proj.comments) == 1 and "v9.9.9" in proj.fix_versions
    assert "LOCK-1: Jira offers no transition" in first.all
    assert "SEC-1" in first.all and "not in Jira" in first.all
    assert jira.spec_rejections == []
    assert env["JIRA_API_TOKEN"] not in first.all
    second = cli(*argv, env=env)
    again = jira.issue("PROJ-1")
    assert len(again.comments) == 1 and again.status == "Done"
    assert "skipped: already Done" in second.all
