"""JQL as cibridge writes it: string literals that can never become syntax, and what a
search cost."""

from __future__ import annotations

from dataclasses import dataclass

PAGE = 100  # Jira caps pages at 100 when fields are asked for
MAX_PAGES = 1000  # 100,000 issues: a query that matches more is not a deployment rule


@dataclass
class SearchCost:
    """What a search took: requests sent, issues seen."""

    requests: int = 0
    issues: int = 0


def quote(value: str) -> str:
    """A JQL string literal: quotes and backslashes escaped, so a value is never syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
