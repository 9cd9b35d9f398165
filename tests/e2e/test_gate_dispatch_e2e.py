"""`gate` with `dispatch: true`: the action under act and the component under
gitlab-ci-local, against the GitHub / GitLab API stand-ins. Two gate runs for one commit
and environment start the rollback pipeline once; the second names where it went."""

from __future__ import annotations

import re
from pathlib import Path

from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
)
from tests.e2e.harness import COPY, run_act, run_gitlab_ci_local

# A service that answers 404 where the check wants 200: the rollback policy fires at once.
CONFIG = """post_deployment_validation:
  health_check_validation:
    http_checks:
      - name: health
        url: "{base}/x"
        expected_status: 200
        failure_action: rollback
  rollback_policy:
    rollback_pipeline: "rollback-{{{{ service_name }}}}"
{pipelines}"""


def test_the_gate_action_starts_the_rollback_once_across_two_runs(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    config = tmp_path / "gate.yml"
    config.write_text(CONFIG.format(base=stand_ins.base, pipelines=""), encoding="utf-8")
    step = f"""        uses: ./gate
        continue-on-error: true
        with:
          config: {config}
          set: service_name=checkout
          environment: production
          dispatch: true
"""
    workflow = f"""on: push
jobs:
  gate:
    runs-on: ubuntu-latest
    permissions:
      actions: write
      statuses: write
    steps:
{COPY}      - id: first
{step}      - id: again
{step}      - name: Outputs
        env:
          FIRST: ${{{{ steps.first.outputs.rollback-dispatched }}}}
          AGAIN: ${{{{ steps.again.outputs.rollback-dispatched }}}}
          URL: ${{{{ steps.again.outputs.rollback-url }}}}
        run: echo "OUT first=$FIRST again=$AGAIN url=$URL"
"""
    run = run_act(
        tmp_path,
        workflow,
        {"ref": "refs/heads/main"},
        env={
            "GITHUB_REPOSITORY": "acme/checkout",
            "GITHUB_API_URL": stand_ins.env()["GITHUB_API_URL"],
        },
        secrets={"GITHUB_TOKEN": GITHUB_API_TOKEN},
    )
    assert run.code == 0, run.output
    (line,) = [line for line in run.output.splitlines() if "| OUT first=" in line]
    runs = "https://github.com/acme/checkout/actions/workflows/rollback-checkout.yml"
    assert line.split("| OUT ", 1)[1] == f"first=true again=false url={runs}"
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    (sent,) = github.dispatches
    assert sent["workflow"] == "rollback-checkout.yml"
    assert sent["inputs"]["environment"] == "production"
    (status,) = github.statuses.statuses
    assert status["context"] == "cibridge/rollback/production"
    assert status["sha"] == sent["inputs"]["sha"]  # the record is on the deployed commit
    assert GITHUB_API_TOKEN not in run.output.replace(f"::add-mask::{GITHUB_API_TOKEN}", "")


def test_a_second_gate_job_for_the_same_commit_starts_nothing(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    pipelines = "pipelines:\n  rollback-checkout:\n    gitlab: {project: '42', ref: main}\n"
    config = tmp_path / "gate.yml"
    config.write_text(CONFIG.format(base=stand_ins.base, pipelines=pipelines), encoding="utf-8")
    inputs = f"""      config: {config}
      set: service_name=checkout
      environment: production
      dispatch: "true"
"""
    # The component twice, the second job a stage later and run although the first failed:
    # a second gate job for the same commit and environment.
    pipeline = f"""stages: [verify, again]
include:
  - local: templates/gate.yml
    inputs:
      stage: verify
{inputs}  - local: templates/gate.yml
    inputs:
      stage: again
      job-name: cibridge-gate-again
{inputs}cibridge-gate-again:
  when: always
"""
    variables = {
        "GITLAB_TOKEN": GITLAB_API_TOKEN,  # a masked CI/CD variable in a real project
        "CI_API_V4_URL": stand_ins.env()["CI_API_V4_URL"],
        "CI_PROJECT_ID": "42",
    }
    run = run_gitlab_ci_local(tmp_path, pipeline, variables)
    assert "FAIL  cibridge-gate " in run.output and "FAIL  cibridge-gate-again" in run.output, (
        run.output
    )
    gitlab = next(s for s in stand_ins.services if isinstance(s, GitLabApi))
    (created,) = gitlab.pipelines
    assert created["variables"]["ROLLBACK_ENVIRONMENT"] == "production"
    url = created["web_url"]
    for job, dispatched in (("cibridge-gate", "true"), ("cibridge-gate-again", "false")):
        said = (
            rf"^{job} +> rollback-dispatched={dispatched}\n{job} +> rollback-url={re.escape(url)}$"
        )
        assert re.search(said, run.output, re.M), run.output
    (status,) = gitlab.statuses.statuses
    assert (status["name"], status["status"]) == ("cibridge/rollback/production", "success")
    assert created["variables"]["ROLLBACK_SHA"] == status["sha"]  # the deployed commit
    assert GITLAB_API_TOKEN not in run.output
