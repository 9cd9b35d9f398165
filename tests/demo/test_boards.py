"""The demo's Azure Boards chapter moves the loopback Boards' items to their own Completed
states, tags, links and comments them once: the rerun adds nothing."""

from __future__ import annotations

import pytest

from cibridge.cli.main import build_parser
from cibridge.cli.runtime import Runtime
from cibridge.context import sample
from cibridge.context.platforms import detect
from cibridge.demo import boards as demo
from cibridge.demo.stage import Stage
from cibridge.demo.standins import StandIns, boards_of
from cibridge.demo.standins.azure_boards import AzureBoards


def test_each_item_reaches_its_type_s_completed_state_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with StandIns((AzureBoards,)) as stand_ins:
        env = stand_ins.env()
        runtime = Runtime(build_parser().parse_args(["demo"]), env, detect(env))
        stage = Stage(runtime.platform, sample.build(), env, {}, runtime.templates_dir())
        assert demo.chapter(stage, env, stand_ins) == 0
        boards = boards_of(stand_ins)
        items = [boards.item(n) for n in sorted(boards.items)[:3]]
    assert [(i.type, i.state) for i in items] == [
        ("User Story", "Closed"),
        ("Task", "Done"),
        ("Bug", "Closed"),
    ]
    assert all(i.tags == ["deployed:production"] for i in items)
    assert all(len(i.comments) == 1 and len(i.relations) == 1 for i in items)
    out = capsys.readouterr().out
    assert "After both runs (the rerun added nothing):" in out
    assert "already commented for this run and environment" in out
