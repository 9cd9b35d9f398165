from __future__ import annotations

import io

from cibridge import report
from cibridge.platforms.local import Local


def test_cells_cannot_break_the_table() -> None:
    text = report.table(("a", "b"), [("x | y", "line one\nline two"), ("back\\slash", "")])
    rows = text.splitlines()
    assert rows[2] == "| x \\| y | line one |"
    assert rows[3] == "| back\\\\slash |  |"
    assert len(rows) == 4


def test_log_lines_route_by_outcome() -> None:
    out, err = io.StringIO(), io.StringIO()
    platform = Local({}, out, err)
    lines = [
        report.Line("Slack", True, "delivered"),
        report.Line("DingTalk", False, "rejected", exit_code=1),
        report.Line("Teams", False, "internal error", exit_code=3),
    ]
    report.log_lines(platform, lines, failures_are_warnings=True)
    assert out.getvalue() == "Slack: delivered\n"
    assert err.getvalue() == "warning: rejected\nerror: internal error\n"
