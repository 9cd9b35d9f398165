"""The Jira action under act and the Jira component under gitlab-ci-local, against the
stateful Jira stand-in (every request checked against Atlassian's OpenAPI description)."""

from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo.standins import StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN
from tests.e2e.harness import COPY, push_event, run_act, run_gitlab_ci_local


def test_jira_action_transitions_comments_and_links_the_pushed_issues(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    jira = jira_of(stand_ins)
    env = stand_ins.env()
    event = push_event(
        "PROJ-1: empty carts no longer crash",
        "ops-1 rotate certificates (see CVE-2024-3094, not a key)",
    )
    workflow = f"""on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    env:
      JIRA_BASE_URL: {env["JIRA_BASE_URL"]}
      JIRA_USER_EMAIL: {env["JIRA_USER_EMAIL"]}
      JIRA_API_VERSION: "3"
    steps:
{COPY}      - id: jira
        uses: ./jira
        with:
          transition: Done
          resolution: Done
          comment: "true"
          environment: production
          fix-version: v2.0.0
          jira-api-token: ${{{{ secrets.JIRA_API_TOKEN }}}}
      - name: Outputs
        env:
          ISSUES: ${{{{ steps.jira.outputs.issues }}}}
          MOVED: ${{{{ steps.jira.outputs.transitioned }}}}
          FAILED: ${{{{ steps.jira.outputs.failed }}}}
        run: echo "OUT issues=$ISSUES transitioned=$MOVED failed=$FAILED"
"""
    run = run_act(tmp_path, workflow, event, secrets={"JIRA_API_TOKEN": JIRA_TOKEN})
    assert run.code == 0, run.output
    (line,) = [line for line in run.output.splitlines() if "| OUT issues=" in line]
    issues, moved, failed = line.split("| OUT issues=")[1].rsplit(" ", 2)
    assert sorted(json.loads(issues)) == ["OPS-1", "PROJ-1"]  # CVE-2024-3094 is no key
    assert (moved, failed) == ("transitioned=2", "failed=0")
    for key in ("PROJ-1", "OPS-1"):
        issue = jira.issue(key)
        assert issue.status == "Done" and issue.resolution == "Done"
        assert len(issue.comments) == 1
        assert len(issue.remote_links) == 1
        assert issue.remote_links[0]["object"]["url"].startswith("http")
    assert "v2.0.0" in jira.issue("PROJ-1").fix_versions
    assert jira.spec_rejections == []
    assert JIRA_TOKEN not in run.output.replace(f"::add-mask::{JIRA_TOKEN}", "")


def test_jira_component_moves_the_committed_issue(tmp_path: Path, stand_ins: StandIns) -> None:
    jira = jira_of(stand_ins)
    env = stand_ins.env()
    pipeline = """stages: [deploy]
include:
  - local: templates/jira.yml
    inputs:
      stage: deploy
      transition: Done
      resolution: Done
      comment: "true"
      environment: staging
"""
    variables = {key: env[key] for key in ("JIRA_BASE_URL", "JIRA_USER_EMAIL", "JIRA_API_VERSION")}
    variables["JIRA_API_TOKEN"] = JIRA_TOKEN
    run = run_gitlab_ci_local(
        tmp_path, pipeline, variables, commit_message="PROJ-3: upgrade Postgres"
    )
    assert run.code == 0, run.output
    assert "PASS  cibridge-jira" in run.output
    issue = jira.issue("PROJ-3")
    assert issue.status == "Done" and len(issue.comments) == 1
    dotenv = (run.workdir / "cibridge-jira.env").read_text()
    assert "transitioned=1" in dotenv and "failed=0" in dotenv
    assert jira.spec_rejections == []
