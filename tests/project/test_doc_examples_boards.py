"""docs/boards.md's Azure Pipelines script and its dry-run session, run in bash against
the Azure Boards stand-in as a reader would paste them (the GitHub and GitLab examples run
under act and gitlab-ci-local in tests/e2e/test_boards_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from cibridge.demo.standins import AZURE_DEVOPS_BEARER, StandIns, boards_of
from cibridge.demo.standins.azure_boards import ORGANIZATION, PROJECT, PROJECT_ID
from tests.doc_examples import example
from tests.project.test_doc_examples_shell import _as_pasted, _bash

SHA = "c" * 40


def test_the_azure_pipelines_script_works_with_the_agents_variables_only(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    boards = boards_of(stand_ins)
    pipeline = yaml.safe_load(example("docs/boards.md", "azure-pipelines.yml").text)
    step = next(s for s in pipeline["steps"] if "cibridge boards" in s["script"])
    assert step["env"] == {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
    agent = {
        "SYSTEM_COLLECTIONURI": f"{stand_ins.base}/azure-devops/{ORGANIZATION}/",
        "SYSTEM_TEAMPROJECT": PROJECT,
        "SYSTEM_TEAMPROJECTID": PROJECT_ID,
        "BUILD_BUILDID": "4711",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "BUILD_REPOSITORY_ID": "278d5cd2-584d-4b63-824a-2ba458937249",
        "BUILD_SOURCEVERSION": SHA,
        "SYSTEM_ACCESSTOKEN": AZURE_DEVOPS_BEARER,  # what the step's env: maps in
    }
    script = _as_pasted(type("E", (), {"text": step["script"]})())  # type: ignore[arg-type]
    commit = "AB#101: cart tests"
    who = "-c user.name=Mona -c user.email=mona@example.com"
    done = _bash(tmp_path, f"git {who} commit -q --allow-empty -m '{commit}'\n{script}", agent)
    assert done.returncode == 0, done.stdout + done.stderr
    item = boards.item(101)
    assert item.state == "Done" and item.tags == ["deployed:production"]
    assert len(item.comments) == 1
    assert item.relations[0]["url"] == "vstfs:///Build/Build/4711"
    assert boards.spec_rejections == []


def test_the_dry_run_session_reads_and_changes_nothing(tmp_path: Path, stand_ins: StandIns) -> None:
    boards = boards_of(stand_ins)
    session = example("docs/boards.md", "cibridge --dry-run boards")
    done = _bash(tmp_path, _as_pasted(session), stand_ins.env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(dry run, not sent)" in done.stdout and "application/json-patch+json" in done.stdout
    assert boards.item(100).state == "Active" and boards.item(100).comments == []
    assert {r.method for r in stand_ins.of("azure_boards")} <= {"GET", "POST"}
    assert all("comments" not in r.path or r.method == "GET" for r in stand_ins.of("azure_boards"))
