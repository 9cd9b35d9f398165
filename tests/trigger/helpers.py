"""Shared set-up for the trigger tests: the seed's rules against the Jira stand-in."""

from __future__ import annotations

from pathlib import Path

from cibridge.demo.standins import StandIns, jira_of
from cibridge.demo.standins.jira_state import Project
from tests.conftest import SEED as SEEDS

SEED = SEEDS / "deployment-triggers.yml"
PIPELINES_GITHUB = """pipelines:
  project1-deployment-pipeline:
    github: {repository: acme/checkout, workflow: project1-deployment-pipeline.yml}
  project2-deployment-pipeline:
    github: {repository: acme/checkout, workflow: ci.yml}
  production-deployment-pipeline:
    github: {repository: acme/checkout, workflow: production-deployment-pipeline.yml}
    environment: production
  staging-deployment-pipeline:
    github: {repository: acme/checkout, workflow: staging-deployment-pipeline.yml, ref: release}
  version-deployment-pipeline:
    gitlab: {project: acme/checkout, ref: main}
"""


def seed_projects(stand_ins: StandIns) -> None:
    """The seed maps PROJ1 and PROJ2; the stand-in's Jira gets those projects."""
    jira = jira_of(stand_ins)
    jira.state.projects["PROJ1"] = Project(10010, "PROJ1", "Project One")
    jira.state.projects["PROJ2"] = Project(10011, "PROJ2", "Project Two")


def configs(tmp_path: Path, pipelines: str = PIPELINES_GITHUB) -> list[str]:
    """--config arguments: the seed file unchanged, then a file with the targets."""
    extra = tmp_path / "pipelines.yml"
    extra.write_text(pipelines)
    return ["--config", str(SEED), "--config", str(extra)]
