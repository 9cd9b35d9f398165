"""The deployment comment, rendered from its template (``boards/comment.md.j2`` or the
repository's own under ``.cibridge/templates/``), and the marker that finds it again.

Azure Boards comments carry no hidden properties (Jira's comments do), so the comment's
last line says which run and environment wrote it: ``cibridge:<16 hex digits>``, a hash of
the two. A rerun that finds that text in one of the newest comments adds nothing.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT = "boards/comment.md.j2"
MAX_CHARS = 1_000_000 // 4  # far below the comment size Azure DevOps accepts; cut beyond
_ANGLE = re.compile(r"[<>&]")


def marker(run: str, environment: str) -> str:
    digest = hashlib.sha256(f"{run}\x1f{environment}".encode()).hexdigest()[:16]
    return f"cibridge:{digest}"


def boards_text(value: Any) -> str:
    """A value shown as itself in an Azure Boards markdown comment: Markdown escaped, and
    ``<``/``>``/``&`` as entities (Azure renders HTML inside Markdown)."""
    from cibridge.render.filters import markdown

    return _ANGLE.sub(lambda m: html.escape(m.group()), markdown(value))


def render(
    template: str, variables: Mapping[str, Any], templates_dir: Path, env: Mapping[str, str]
) -> str:
    from cibridge.render import engine, labels

    values = dict(variables)
    values.setdefault("t", labels.for_locale("en"))
    filters = {"boards_text": boards_text}
    text = engine.render(template, values, engine.search_path(templates_dir), filters, env=env).text
    return text.strip()[:MAX_CHARS]


def with_marker(text: str, mark: str) -> str:
    return f"{text}\n\n<sub>{mark}</sub>\n"


def as_history(text: str) -> str:
    """The comment as ``System.History`` takes it (HTML): each line escaped, line breaks
    kept; older servers without markdown comments show it as written."""
    return "<br>".join(html.escape(line) for line in text.splitlines())
