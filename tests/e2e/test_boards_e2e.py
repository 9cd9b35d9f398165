"""The boards action under act and the boards component under gitlab-ci-local, against the
Azure Boards stand-in (every request checked against Microsoft's description), each run
twice as docs/boards.md shows it: the first run moves, tags, links and comments, the rerun
adds nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cibridge.demo.standins import AZURE_DEVOPS_PAT, StandIns, boards_of
from tests.doc_examples import example
from tests.e2e.harness import COPY, push_event, run_act, run_gitlab_ci_local


def _github_workflow(stand_ins: StandIns) -> str:
    """docs/boards.md's GitHub example with only the reader's edits: this checkout's action,
    the deploy command, and the stand-in as the organization's address."""
    text = example("docs/boards.md", "your-org/cibridge/boards@v1").text
    text = text.replace("your-org/cibridge/boards@v1", "./boards")
    text = re.sub(r"      - uses: actions/checkout@v4\n", COPY, text)
    text = text.replace("run: ./deploy.sh", "run: true")
    text += """      - name: Outputs
        env:
          ITEMS: ${{ steps.boards.outputs.work-items }}
          MOVED: ${{ steps.boards.outputs.moved }}
          COMMENTED: ${{ steps.boards.outputs.commented }}
          LINKED: ${{ steps.boards.outputs.linked }}
          FAILED: ${{ steps.boards.outputs.failed }}
        run: echo "OUT items=$ITEMS moved=$MOVED commented=$COMMENTED linked=$LINKED failed=$FAILED"
"""
    text = text.replace("      - uses: ./boards\n", "      - id: boards\n        uses: ./boards\n")
    env = f"env:\n  AZURE_DEVOPS_URL: {stand_ins.base}/azure-devops\n"
    return re.sub(r"^jobs:", lambda _: f"{env}jobs:", text, count=1, flags=re.M)


def _outputs(output: str) -> str:
    (line,) = [line for line in output.splitlines() if "| OUT items=" in line]
    return line.split("| OUT ", 1)[1]


def test_the_boards_action_moves_comments_tags_and_links_and_a_rerun_adds_nothing(
    tmp_path: Path, stand_ins: StandIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rerun ships the same commit: the two act projects commit the same tree at the same
    # time, so the commit (and its link) is the same, as on GitHub's "Re-run jobs".
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-11-28T09:00:00Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-11-28T09:00:00Z")
    boards = boards_of(stand_ins)
    workflow = _github_workflow(stand_ins)
    event = push_event(
        "Fixes AB#100: totals", "AB#101 cart tests", "#7 and ab#102 are not references"
    )
    secrets = {"AZURE_DEVOPS_PAT": AZURE_DEVOPS_PAT}
    first = run_act(tmp_path / "1", workflow, event, secrets=secrets)
    assert first.code == 0, first.output
    items, moved, commented, linked, failed = _outputs(first.output).rsplit(" ", 4)
    assert sorted(json.loads(items.removeprefix("items="))) == [100, 101]
    assert (moved, commented, linked, failed) == ("moved=2", "commented=2", "linked=2", "failed=0")
    assert boards.item(100).state == "Closed" and boards.item(101).state == "Done"
    assert boards.item(102).state == "Active"
    for number in (100, 101):
        item = boards.item(number)
        assert item.tags == ["deployed:production"] and len(item.comments) == 1
        assert [r["rel"] for r in item.relations] == ["Hyperlink", "Hyperlink"]
        assert "/actions/runs/" in item.relations[0]["url"]
    revisions = {n: boards.item(n).rev for n in (100, 101)}
    again = run_act(tmp_path / "2", workflow, event, secrets=secrets)
    assert again.code == 0, again.output
    assert _outputs(again.output).endswith("moved=0 commented=0 linked=0 failed=0"), boards.item(
        100
    ).relations
    assert {n: boards.item(n).rev for n in (100, 101)} == revisions
    assert all(len(boards.item(n).comments) == 1 for n in (100, 101))
    assert boards.spec_rejections == []
    assert AZURE_DEVOPS_PAT not in (first.output + again.output).replace(
        f"::add-mask::{AZURE_DEVOPS_PAT}", ""
    )


def test_the_boards_component_moves_the_committed_item_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    boards = boards_of(stand_ins)
    pipeline = example("docs/boards.md", "cibridge/boards@1.0.0").text
    pipeline = re.sub(
        r"  - component: \$CI_SERVER_FQDN/your-group/cibridge/boards@1\.0\.0\n",
        "  - local: templates/boards.yml\n",
        pipeline,
    )
    env = stand_ins.env()
    variables = {
        key: env[key] for key in ("AZURE_DEVOPS_URL", "AZURE_DEVOPS_ORG", "AZURE_DEVOPS_PROJECT")
    }
    variables["AZURE_DEVOPS_EXT_PAT"] = AZURE_DEVOPS_PAT
    for attempt in ("1", "2"):
        run = run_gitlab_ci_local(
            tmp_path / attempt, pipeline, variables, commit_message="AB#101: cart tests"
        )
        assert run.code == 0, run.output
        assert "PASS  cibridge-boards" in run.output
        dotenv = (run.workdir / "cibridge-boards.env").read_text()
        moved = "moved=1" if attempt == "1" else "moved=0"
        assert moved in dotenv and "failed=0" in dotenv, dotenv
    item = boards.item(101)
    assert item.state == "Done" and item.tags == ["deployed:production"]
    assert len(item.comments) == 1  # the rerun of the same pipeline added none
    assert boards.spec_rejections == []
