from __future__ import annotations

import io

from cibridge.context.platforms.local import Local
from cibridge.report import outputs as report


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


def test_a_list_output_keeps_what_fits_gitlabs_dotenv_report_and_says_so() -> None:
    import json

    from cibridge.context.platforms.github import GitHub
    from cibridge.context.platforms.gitlab import GitLab

    items = [f"PROJ-{n:05d}" for n in range(1000)]  # 12 bytes each with ", "
    err = io.StringIO()
    text = report.json_list(GitLab({}, io.StringIO(), err), "issues", items)
    kept = json.loads(text)
    assert kept == items[: len(kept)]
    assert len(text.encode()) <= report.LIST_DOTENV_LIMIT
    # The longest prefix: one more item would not fit.
    assert len(json.dumps(items[: len(kept) + 1]).encode()) > report.LIST_DOTENV_LIMIT
    assert f"the issues output lists {len(kept)} of 1000" in err.getvalue()
    # GitHub's outputs have no such limit; a short list is untouched anywhere.
    assert json.loads(report.json_list(GitHub({}, io.StringIO()), "issues", items)) == items
    assert report.json_list(GitLab({}, io.StringIO(), err), "issues", items[:3]) == json.dumps(
        items[:3]
    )


def test_a_lone_carriage_return_in_a_result_cannot_forge_a_workflow_command() -> None:
    from cibridge.context.platforms.github import GitHub
    from tests.github_job import commands_obeyed

    out = io.StringIO()
    platform = GitHub({}, out, out)
    detail = "v9.9.9\r::error::x\r::add-mask::from \x1b[31m section_start:123:x\r\x1b[0K"
    report.log_lines(platform, [report.Line("Jira", True, detail)], failures_are_warnings=False)
    report.log_lines(
        platform, [report.Line("Jira", False, detail, exit_code=1)], failures_are_warnings=True
    )
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    assert [c for c in commands_obeyed(text) if not c.startswith("::warning title=")] == []
    assert "v9.9.9\\x0d::error::x" in text


def test_a_cell_shows_markdown_and_html_as_typed() -> None:
    raw = "<img src=x onerror=alert(1)> [click](https://evil) **b** _i_ `c` # h & ~s~ !x"
    shown = report.cell(raw)
    assert "<" not in shown and ">" not in shown
    assert shown == (
        "&lt;img src=x onerror=alert(1)&gt; \\[click\\](https://evil) \\*\\*b\\*\\* \\_i\\_"
        " \\`c\\` # h &amp; \\~s\\~ !x"
    )
    assert report.cell("a\x1b[31mb\rnext") == "a\\\\x1b\\[31mb"


def test_a_code_cell_stays_a_code_span_that_cannot_close_early() -> None:
    assert report.cell(report.Code('sum(x{a="<b>"}) `|` y')) == "`sum(x{a=\"<b>\"}) '\\|' y`"
