"""The trigger action under act and the trigger component under gitlab-ci-local, with the
seed's deployment-triggers.yml unchanged, against the Jira stand-in (OpenAPI-checked) and the
GitHub / GitLab API stand-ins (auth and request shape checked)."""

from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_TRIGGER_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
    jira_of,
)
from cibridge.demo.standins.jira import JIRA_TOKEN
from cibridge.trigger.once import PROPERTY
from tests.e2e.harness import COPY, run_act, run_gitlab_ci_local
from tests.trigger.helpers import SEED, seed_projects


def test_repository_dispatch_from_jira_automation_starts_the_workflow_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    key = jira.add_issue(
        "PROJ1", "Ship checkout", issue_type="Story", status="Ready for Deployment"
    )
    env = stand_ins.env()
    # What a Jira Automation "Send web request" rule posts to /repos/{repo}/dispatches.
    event = {
        "action": "jira-deploy",
        "client_payload": {"issue_key": key},
        "repository": {"full_name": "acme/checkout", "default_branch": "main"},
    }
    workflow = f"""on:
  repository_dispatch:
    types: [jira-deploy]
concurrency:
  group: cibridge-trigger-${{{{ github.event.client_payload.issue_key }}}}
jobs:
  trigger:
    runs-on: ubuntu-latest
    permissions:
      actions: write
    env:
      JIRA_BASE_URL: {env["JIRA_BASE_URL"]}
      JIRA_USER_EMAIL: {env["JIRA_USER_EMAIL"]}
      JIRA_API_VERSION: "3"
    steps:
{COPY}      - id: first
        uses: ./trigger
        with:
          config: tests/fixtures/seed/deployment-triggers.yml
          jira-api-token: ${{{{ secrets.JIRA_API_TOKEN }}}}
          trigger-key: ${{{{ secrets.CIBRIDGE_TRIGGER_KEY }}}}
      - id: again
        uses: ./trigger
        with:
          config: tests/fixtures/seed/deployment-triggers.yml
          jira-api-token: ${{{{ secrets.JIRA_API_TOKEN }}}}
          trigger-key: ${{{{ secrets.CIBRIDGE_TRIGGER_KEY }}}}
      - name: Outputs
        env:
          FIRST: ${{{{ steps.first.outputs.dispatched }}}}
          AGAIN: ${{{{ steps.again.outputs.skipped }}}}
          PIPELINES: ${{{{ steps.first.outputs.pipelines }}}}
        run: echo "OUT first=$FIRST again=$AGAIN pipelines=$PIPELINES"
"""
    run = run_act(
        tmp_path,
        workflow,
        event,
        # The runner sets GITHUB_API_URL (GHES: https://HOST/api/v3); here it is the stand-in.
        env={"GITHUB_REPOSITORY": "acme/checkout", "GITHUB_API_URL": env["GITHUB_API_URL"]},
        secrets={
            "JIRA_API_TOKEN": JIRA_TOKEN,
            "GITHUB_TOKEN": GITHUB_API_TOKEN,
            "CIBRIDGE_TRIGGER_KEY": "0f" * 32,
        },
        event_name="repository_dispatch",
    )
    assert run.code == 0, run.output
    (line,) = [line for line in run.output.splitlines() if "| OUT first=" in line]
    assert "first=1 again=1" in line
    pipelines = json.loads(line.split("pipelines=", 1)[1])
    assert pipelines[0]["pipeline"] == "project1-deployment-pipeline"
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    (sent,) = github.dispatches
    assert (sent["workflow"], sent["ref"]) == ("project1-deployment-pipeline.yml", "main")
    assert sent["inputs"]["issue_key"] == key
    assert PROPERTY in jira.issue(key).properties
    assert jira.spec_rejections == []
    for secret in (JIRA_TOKEN, GITHUB_API_TOKEN):
        assert secret not in run.output.replace(f"::add-mask::{secret}", "")


def test_trigger_component_starts_a_pipeline_with_a_trigger_token(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    seed_projects(stand_ins)
    jira = jira_of(stand_ins)
    key = jira.add_issue("PROJ2", "Ship payments", issue_type="Bug", status="Ready for Deployment")
    env = stand_ins.env()
    pipelines = tmp_path / "pipelines.yml"
    pipelines.write_text(
        "pipelines:\n  project2-deployment-pipeline:\n"
        "    gitlab: {project: acme/checkout, ref: main}\n    environment: staging\n"
    )
    pipeline = f"""stages: [deploy]
include:
  - local: templates/trigger.yml
    inputs:
      stage: deploy
      config: "{SEED},{pipelines}"
"""
    variables = {
        key_: env[key_] for key_ in ("JIRA_BASE_URL", "JIRA_USER_EMAIL", "JIRA_API_VERSION")
    }
    variables.update(
        {
            "JIRA_API_TOKEN": JIRA_TOKEN,
            "JIRA_ISSUE_KEY": key,
            "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN,
            "CIBRIDGE_TRIGGER_KEY": "0f" * 32,  # a masked CI/CD variable in a real project
            "CI_API_V4_URL": env["CI_API_V4_URL"],
        }
    )
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert run.code == 0, run.output
    assert "PASS  cibridge-trigger" in run.output
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    (created,) = gitlab.pipelines
    assert created["source"] == "trigger"
    assert created["variables"]["DEPLOY_ISSUE_KEY"] == key
    assert created["variables"]["DEPLOY_ENVIRONMENT"] == "staging"
    dotenv = (run.workdir / "cibridge-trigger.env").read_text()
    assert "dispatched=1" in dotenv
    assert jira.spec_rejections == []
    assert GITLAB_TRIGGER_TOKEN not in run.output
