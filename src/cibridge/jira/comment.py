"""The deployment comment, rendered from its template (``jira/comment.md.j2`` or the
repository's own)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT = "jira/comment.md.j2"


def render(
    template: str, variables: Mapping[str, Any], templates_dir: Path, env: Mapping[str, str]
) -> str:
    from cibridge.jira.inline import escape
    from cibridge.render import engine, labels

    values = dict(variables)
    values.setdefault("t", labels.for_locale("en"))
    # `jira_text` shows a value exactly, whatever Markdown or {status} markup it contains.
    filters = {"jira_text": escape}
    return engine.render(template, values, engine.search_path(templates_dir), filters, env=env).text
