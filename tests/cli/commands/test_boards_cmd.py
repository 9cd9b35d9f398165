"""`cibridge boards` end to end in-process, against the Azure Boards stand-in: references
from a GitHub push, links per platform (Hyperlinks from GitHub, ArtifactLinks in Azure
Pipelines for Azure Repos), the cap, the dry run, usage errors and what is printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.demo.standins import AZURE_DEVOPS_BEARER, StandIns, boards_of
from cibridge.demo.standins.azure_boards import ORGANIZATION, PROJECT, PROJECT_ID
from tests import github_job

SHA = "c" * 40


def _push(tmp_path: Path, *messages: str) -> dict[str, str]:
    event = {
        "after": SHA,
        "before": "b" * 40,
        "ref": "refs/heads/main",
        "repository": {"full_name": "acme/checkout", "html_url": "https://github.com/acme/checkout"},
        "commits": [
            {"id": f"{i:040x}", "message": m, "url": f"https://github.com/acme/checkout/commit/{i:040x}",
             "author": {"name": "Mona", "email": "m@example.com"}}
            for i, m in enumerate(messages, 1)
        ],
    }  # fmt: skip
    (tmp_path / "push.json").write_text(json.dumps(event))
    env = github_job.job_env(
        "push",
        tmp_path / "push.json",
        GITHUB_SHA=SHA,
        GITHUB_OUTPUT=str(tmp_path / "github_output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "github_summary"),
    )
    return env


def test_a_github_push_moves_tags_links_and_comments_the_referenced_items(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    boards = boards_of(stand_ins)
    env = {
        **stand_ins.env(),
        **_push(tmp_path, "Fixes AB#100: total", "AB#101 tests", "#7 ab#102 no"),
    }
    args = ["boards", "--state-category", "Completed", "--tag", "deployed:production",
            "--comment", "--environment", "production"]  # fmt: skip
    result = cli(*args, env=env)
    assert result.code == 0, result.all
    assert boards.item(100).state == "Closed" and boards.item(101).state == "Done"
    assert boards.item(102).state == "Active"  # "#7 ab#102" is no reference
    urls = [r["url"] for r in boards.item(100).relations]
    assert urls == [
        "https://github.com/acme/checkout/actions/runs/987",
        f"https://github.com/acme/checkout/commit/{SHA}",
    ]
    assert all(r["rel"] == "Hyperlink" for r in boards.item(100).relations)
    out = github_job.outputs(tmp_path)
    assert sorted(json.loads(out["work-items"])) == [100, 101]
    assert (out["moved"], out["commented"], out["tagged"], out["linked"], out["failed"]) == (
        "2", "2", "2", "2", "0",
    )  # fmt: skip
    assert "cibridge boards" in (tmp_path / "github_summary").read_text()
    # A rerun adds nothing.
    again = cli(*args, env=env)
    assert again.code == 0
    assert len(boards.item(100).comments) == 1 and len(boards.item(100).relations) == 2
    assert github_job.outputs(tmp_path)["moved"] == "0"
    assert boards.spec_rejections == []


def test_in_azure_pipelines_it_needs_no_configuration_and_links_artifacts(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    boards = boards_of(stand_ins)
    env = {
        "TF_BUILD": "True",  # the Azure Pipelines platform: outputs as ##vso lines
        "BUILD_SOURCEVERSIONMESSAGE": "Fixes AB#102: empty carts",
        "SYSTEM_COLLECTIONURI": f"{stand_ins.base}/azure-devops/{ORGANIZATION}/",
        "SYSTEM_TEAMPROJECT": PROJECT,
        "SYSTEM_TEAMPROJECTID": PROJECT_ID,
        "SYSTEM_ACCESSTOKEN": AZURE_DEVOPS_BEARER,
        "BUILD_BUILDID": "4711",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "BUILD_REPOSITORY_ID": "278d5cd2-584d-4b63-824a-2ba458937249",
        "BUILD_SOURCEVERSION": SHA,
    }
    result = cli("boards", "--work-item", "101", "--tag", "built", env=env)
    assert result.code == 0, result.all
    assert "##vso[task.setvariable variable=tagged;isoutput=true]1" in result.out
    # From the context alone: the head commit's message names AB#102, which it fixes.
    fixed = cli("boards", "--resolve-fixed", env=env)
    assert fixed.code == 0, fixed.all
    assert boards.item(102).state == "Resolved"
    assert [(r["rel"], r["url"], r["attributes"]["name"]) for r in boards.item(101).relations] == [
        ("ArtifactLink", "vstfs:///Build/Build/4711", "Build"),
        ("ArtifactLink", f"vstfs:///Git/Commit/{PROJECT_ID}%2F278d5cd2-584d-4b63-824a-2ba458937249%2F{SHA}", "Fixed in Commit"),
    ]  # fmt: skip
    auth = {r.headers.get("Authorization") for r in stand_ins.of("azure_boards")}
    assert auth == {f"Bearer {AZURE_DEVOPS_BEARER}"}
    masked = f"##vso[task.setsecret]{AZURE_DEVOPS_BEARER}"  # the agent is told to mask it
    assert AZURE_DEVOPS_BEARER not in result.all.replace(masked, "")


def test_a_named_item_that_is_missing_fails_the_step(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli("boards", "--work-item", "100,999", "--tag", "x", env=stand_ins.env())
    assert result.code == 1
    assert (
        "AB#999: not in Azure Boards (or not visible to this identity), and --work-item named it"
        in result.err
    )
    assert boards_of(stand_ins).item(100).tags == ["x"]  # the other one still went


def test_more_references_than_the_cap_change_nothing(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), **_push(tmp_path, "AB#100 AB#101 AB#102")}
    result = cli("boards", "--max-items", "2", "--tag", "x", env=env)
    assert result.code == 1
    assert "found 3 work items, more than --max-items 2: nothing was changed" in result.all
    assert stand_ins.of("azure_boards") == []


def test_dry_run_prints_each_write_and_sends_none(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli("--dry-run", "boards", "--work-item", "100", "--state", "Closed", "--comment",
                 env=stand_ins.env())  # fmt: skip
    assert result.code == 0, result.all
    assert (
        "Azure Boards: PATCH /azure-devops/fabrikam/Fabrikam-Fiber/_apis/wit/workitems/100"
        in result.out
    )
    assert '"Content-Type": "application/json-patch+json"' in result.out
    assert '"op": "test"' in result.out and "comments?format=markdown" in result.out
    assert {r.method for r in stand_ins.of("azure_boards")} == {"POST", "GET"}  # batch, reads
    assert boards_of(stand_ins).item(100).state == "Active"
    assert "would move to Closed" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "Done", "--state-category", "Completed"], "both name a target"),
        (["--state-category", "Finished"], "is not a state category"),
        (["--work-item", "abc"], "is not a work item id"),
        (["--max-items", "0", "--work-item", "1"], "--max-items must be at least 1"),
    ],
)
def test_usage_errors_exit_2(cli, stand_ins: StandIns, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("boards", *args, env=stand_ins.env())
    assert result.code == 2 and message in result.err


def test_no_credentials_is_exit_2_and_says_what_to_set(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in stand_ins.env().items() if k != "AZURE_DEVOPS_EXT_PAT"}
    result = cli("boards", "--work-item", "100", env=env)
    assert (
        result.code == 2 and "no credentials" in result.err and "AZURE_DEVOPS_EXT_PAT" in result.err
    )


def test_nothing_referenced_needs_no_configuration(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("boards", "--tag", "x", env=_push(tmp_path, "no reference here"))
    assert result.code == 0 and "nothing to do" in result.out


def test_a_wrong_pat_fails_each_item_with_the_fix_and_never_exit_3(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), "AZURE_DEVOPS_EXT_PAT": "wrong-pat-value-42"}
    result = cli("boards", "--work-item", "100", "--tag", "x", env=env)
    assert result.code == 1
    assert "HTTP 401" in result.err and "Work Items Read & write" in result.err
    assert "wrong-pat-value-42" not in result.all


def test_hostile_titles_are_shown_escaped(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = boards_of(stand_ins).add("Task", "evil \x1b[31mred | <b>\r::error::x")
    env = {**stand_ins.env(), **_push(tmp_path, f"AB#{number}")}
    result = cli("boards", "--tag", "x", env=env)
    assert result.code == 0, result.all
    summary = (tmp_path / "github_summary").read_text()
    assert "\r" not in summary and "\x1b" not in summary and "<b>" not in summary
    assert "evil \\\\x1b\\[31mred \\| &lt;b&gt;" in summary and "::error::" not in summary
    obeyed = github_job.commands_obeyed(result.out)
    assert [c for c in obeyed if not c.startswith("::add-mask::")] == []


def test_the_seed_configuration_disables_azure_devops_and_says_so(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SEED

    result = cli("--config", str(SEED / "integration-configs.yml"), "boards", "--work-item", "100",
                 env=stand_ins.env())  # fmt: skip
    assert result.code == 2 and "enabled: false" in result.err


def test_the_design_block_works_as_written(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The design's block with enabled: true, base_url pointed at the stand-in, the PAT by
    token_ref, and organization and project beside it."""
    from cibridge.demo.standins import AZURE_DEVOPS_PAT

    config = tmp_path / "c.yml"
    config.write_text(
        "integration_configs:\n  project_management:\n    azure_devops:\n      enabled: true\n"
        f"      base_url: {stand_ins.base}/azure-devops\n      organization: {ORGANIZATION}\n"
        f"      project: {PROJECT}\n      auth:\n        type: pat\n        token_ref: azure-devops-pat\n"
    )
    result = cli("--config", str(config), "boards", "--work-item", "100", "--tag", "x",
                 env={"AZURE_DEVOPS_PAT": AZURE_DEVOPS_PAT})  # fmt: skip
    assert result.code == 0, result.all
    assert boards_of(stand_ins).item(100).tags == ["x"]


def test_a_re_run_attempt_of_the_same_run_adds_nothing(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """GitHub's "Re-run jobs" keeps the run id and counts the attempt (the run URL gets
    /attempts/2): the comment and the run's link are found again."""
    boards = boards_of(stand_ins)
    env = {**stand_ins.env(), **_push(tmp_path, "AB#100")}
    assert cli("boards", "--comment", "--tag", "x", env=env).code == 0
    again = cli("boards", "--comment", "--tag", "x", env={**env, "GITHUB_RUN_ATTEMPT": "2"})
    assert again.code == 0, again.all
    item = boards.item(100)
    assert len(item.comments) == 1 and len(item.relations) == 2
    assert item.relations[0]["url"] == "https://github.com/acme/checkout/actions/runs/987"
