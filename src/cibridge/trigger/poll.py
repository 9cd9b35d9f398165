"""Polling, for teams without Jira Automation: one JQL per rule, every page, each issue once.

A scheduled workflow or pipeline runs ``cibridge trigger --poll --dispatch``; the
exactly-once record on each issue makes a poll every few minutes safe. The searches return
the fields the rules need, so a candidate costs no extra read beyond its record (and its
history, for status and label matches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.clients.jira import SearchCost
from cibridge.core.errors import CibridgeError
from cibridge.trigger import once

if TYPE_CHECKING:
    from cibridge.clients.jira import Issue, JiraClient
    from cibridge.trigger.rules import Rule


@dataclass
class Candidates:
    issues: list[Issue] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)  # rule -> JQL sent
    skipped: dict[str, str] = field(default_factory=dict)  # rule -> why no query was sent
    errors: dict[str, CibridgeError] = field(default_factory=dict)  # rule -> its search failed
    cost: SearchCost = field(default_factory=SearchCost)


def with_filter(jql: str, extra: str) -> str:
    """``jql AND extra``; an ``extra`` with OR is parenthesised, and one whose parentheses
    do not balance (outside quotes) is refused, so no filter can widen the rule."""
    extra = extra.strip()
    if not extra:
        return jql
    depth = 0
    for character in re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "", extra):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            break
    if depth != 0:
        raise CibridgeError(
            f"--poll-filter {extra[:80]!r}: its parentheses do not balance",
            hint="the filter is ANDed to each rule's query; write a complete JQL condition",
        )
    if re.search(r"(?i)\bOR\b", extra):
        extra = f"({extra})"
    return f"{jql} AND {extra}"


def candidates(client: JiraClient, rules: list[Rule], extra: str = "") -> Candidates:
    found = Candidates()
    seen: set[str] = set()
    for rule in rules:
        jql = rule.jql()
        if jql is None:
            found.skipped[rule.name] = "disabled" if not rule.enabled else "nothing to look for"
            continue
        jql = with_filter(jql, extra)
        found.queries[rule.name] = jql
        try:
            for issue in once.search(client, jql, found.cost):
                if issue.key and issue.key not in seen:
                    seen.add(issue.key)
                    found.issues.append(issue)
        except CibridgeError as error:  # one rule's query failing never stops the others
            found.errors[rule.name] = error
    return found
