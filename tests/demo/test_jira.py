"""The demo's Jira chapter: issues moved, commented, linked and versioned once, a rerun adding
nothing, all against the spec-checking stand-in."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_process


def _rows(table_text: str) -> dict[str, list[str]]:
    rows = {}
    for line in table_text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] in ("PROJ-3", "OPS-1", "PROJ-5"):
            rows[cells[0]] = cells
    return rows


def test_the_demo_updates_the_shipped_issues_once(tmp_path: Path) -> None:
    result = run_process("demo", "--sample", cwd=tmp_path)
    assert result.code == 0, result.all
    chapter = result.out.split("Deployed → the Jira issues it ships", 1)[1]
    before, after = chapter.split("Before:", 1)[1].split("After both runs", 1)
    assert _rows(before)["PROJ-3"][2:6] == ["In Review", "", "", "0"]
    finished = _rows(after.split("── 5.", 1)[0])
    for key in ("PROJ-3", "OPS-1"):
        status, resolution, versions, comments, links = finished[key][2:7]
        assert (status, resolution, versions, comments, links) == (
            "Done",
            "Done",
            "v1.2.3",
            "1",
            "1",
        )
    assert "PROJ-5: transition skipped: already Done" in chapter
    assert "comment skipped: already commented for this run and environment" in chapter
    # The Jira requests are summed up by the chapter, not dumped with the notifications.
    assert "jira /jira/rest/api" not in result.out
