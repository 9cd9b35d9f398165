"""How every capability reports its results: log lines, outputs, step summary, JUnit.

notify, jira, gate and trigger each produce rows of (target, verdict, detail); this module
turns them into what the platform shows, the same way for all of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cibridge.core import redact
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK
from cibridge.core.untrusted import printable

if TYPE_CHECKING:
    from cibridge.context.platforms import Platform

# A list output's share of GitLab's 5 KB dotenv report; the outputs beside it need the rest.
LIST_DOTENV_LIMIT = 4_000
ICONS = {"ok": "✅", "failed": "❌", "skipped": "⏭️", "warning": "⚠️", "error": "💥"}


@dataclass
class Line:
    """One result as the log shows it."""

    label: str
    ok: bool
    detail: str
    exit_code: int = EXIT_OK


# Markdown/HTML a value could use to render as something else: a link, a heading, a tag,
# emphasis, code. Each is shown as itself (backslash escape, or an entity for HTML). A cell
# never starts a line ("| " comes first), so "#" cannot open a heading; "!" needs a "[".
_MARKDOWN = {c: "\\" + c for c in "\\`*_[]~"}
_MARKDOWN.update({"|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;"})
_ESCAPES = str.maketrans(_MARKDOWN)


class Code(str):
    """A cell value shown as a code span (a query)."""


def _first_line(text: object) -> str:
    # Masked before the cut: a secret cut in half would no longer match what is registered.
    stripped = redact.redact(str(text)).strip()
    return stripped.splitlines()[0][:300] if stripped else ""


def inline(text: object) -> str:
    """Data shown as plain Markdown text: one line, controls shown as escapes, Markdown and
    HTML escaped, so a value (a Jira summary, a label, a warning) cannot break a table, link
    elsewhere or inject a tag. Cut before escaping, so no escape is cut in half."""
    return printable(_first_line(text)).translate(_ESCAPES)


def code(text: object) -> str:
    """Data shown as a code span: inside one nothing renders, so only its backtick needs care."""
    return "`" + printable(_first_line(text)).replace("`", "'") + "`"


def cell(text: object, rendered: bool = True) -> str:
    """A table cell; ``rendered=False`` for a table read as text (a terminal)."""
    if isinstance(text, Code):
        # A table splits on "|" before it reads code spans, so the escape applies inside too.
        return code(text).replace("|", "\\|")
    return inline(text) if rendered else printable(_first_line(text)).replace("|", "\\|")


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], rendered: bool = True) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    lines = ("| " + " | ".join(cell(c, rendered) for c in row) + " |\n" for row in rows)
    return head + "".join(lines)


def log_lines(platform: Platform, lines: Sequence[Line], *, failures_are_warnings: bool) -> None:
    """Successes as plain lines, rejections as errors (or warnings when they may not fail the
    step), bugs always as errors."""
    for line in lines:
        if line.ok:
            platform.print(printable(f"{line.label}: {line.detail}"))
        elif line.exit_code == EXIT_FAILURE and failures_are_warnings:
            platform.warning(printable(line.detail))
        else:
            platform.error(printable(line.detail))


def json_list(platform: Platform, name: str, items: Sequence[object]) -> str:
    """A list output as JSON. GitLab refuses a dotenv report over 5 KB, so there the list
    keeps the first items that fit, and a warning says so: the log has them all."""
    text = json.dumps(list(items), ensure_ascii=False)
    if platform.name != "gitlab" or len(text.encode()) <= LIST_DOTENV_LIMIT:
        return text
    size, kept = 2, 0  # "[]", then each item with its ", " separator
    for item in items:
        size += len(json.dumps(item, ensure_ascii=False).encode()) + (2 if kept else 0)
        if size > LIST_DOTENV_LIMIT:
            break
        kept += 1
    platform.warning(
        f"the {name} output lists {kept} of {len(items)} (GitLab's dotenv report holds "
        "5 KB); the job log has them all"
    )
    return json.dumps(list(items[:kept]), ensure_ascii=False)


def listed(items: Sequence[str], limit: int = 20) -> str:
    """The first ``limit`` items, comma-separated, and a count of the rest: one log line
    stays short however many there are (the outputs and the summary hold them all)."""
    shown = ", ".join(items[:limit])
    return shown + (f" … and {len(items) - limit} more" if len(items) > limit else "")


def titled_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    return f"### {title}\n\n{table(columns, rows)}"


def publish(platform: Platform, *, outputs: Mapping[str, str], summary: str) -> None:
    """The one way a command's result leaves: outputs first (later steps depend on them),
    then the step summary."""
    platform.set_outputs(outputs)
    platform.summary(summary)
