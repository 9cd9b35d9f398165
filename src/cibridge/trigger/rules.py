"""The seed's ``deployment_triggers.jira`` rules, read exactly as it writes them.

- ``issue_status_trigger``: issue type in ``issue_types`` and status equal to
  ``target_status`` (both case-insensitive) → ``pipeline_mapping[project key]``;
- ``label_trigger``: each configured label the issue carries → ``pipeline_mapping[label]``;
- ``version_trigger``: each released fix version whose name matches ``version_pattern`` →
  the first ``pipeline_mapping`` regex that matches the name.

A rule that does not match says why, so "nothing to deploy" is never a mystery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.clients.jira import Issue
from cibridge.clients.jira.jql import quote as jql_quote
from cibridge.core.durations import parse_seconds
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config

STATUS, LABEL, VERSION = "issue_status_trigger", "label_trigger", "version_trigger"
# Jira keeps a release date without a time, in the site's time zone: two days covers a
# release late yesterday anywhere, and no poll reaches back to historical releases.
DEFAULT_RELEASED_WITHIN = 2 * 86400.0
SECTION = ("deployment_triggers", "jira")


@dataclass(frozen=True)
class Match:
    rule: str
    pipeline: str
    issue: str
    summary: str
    why: str  # what matched, in words
    version: str = ""
    change: str = ""  # what changed to start it (history id or version id): see ``once``
    history_field: str = ""  # the field whose history names the change ("" for versions)
    history_value: str = ""  # the value it changed to
    released: str = ""  # a version's release date (yyyy-MM-dd), for the poll's window


@dataclass
class Verdict:
    matches: list[Match] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # rule -> why it did not match


@dataclass(frozen=True)
class Rule:
    name: str
    enabled: bool
    mapping: dict[str, str]
    where: str
    issue_types: tuple[str, ...] = ()
    target_status: str = ""
    labels: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    released_within: float = DEFAULT_RELEASED_WITHIN  # seconds: how old a release a poll starts

    def evaluate(self, issue: Issue, verdict: Verdict) -> None:
        if not self.enabled:
            verdict.reasons[self.name] = "disabled"
            return
        found = {STATUS: _status, LABEL: _labels, VERSION: _versions}[self.name](self, issue)
        if isinstance(found, str):
            verdict.reasons[self.name] = found
        else:
            verdict.matches.extend(found)

    def jql(self) -> str | None:
        """One query for the candidates of this rule; None when it can match nothing."""
        if not self.enabled:
            return None
        if self.name == STATUS:
            if not self.mapping or not self.target_status:
                return None
            clauses = [f"project in ({', '.join(jql_quote(k) for k in self.mapping)})"]
            if self.issue_types:
                clauses.append(f"issuetype in ({', '.join(map(jql_quote, self.issue_types))})")
            clauses.append(f"status = {jql_quote(self.target_status)}")
            return " AND ".join(clauses)
        if self.name == LABEL:
            labels = [label for label in self.labels if label in self.mapping]
            return f"labels in ({', '.join(map(jql_quote, labels))})" if labels else None
        # JQL cannot match a version name by pattern; the pattern is applied to each result.
        return "fixVersion in releasedVersions()" if self.patterns else None


def _status(rule: Rule, issue: Issue) -> list[Match] | str:
    types = {t.casefold() for t in rule.issue_types}
    if types and issue.issue_type.casefold() not in types:
        return f"issue type {issue.issue_type or '?'} is not one of {', '.join(rule.issue_types)}"
    if issue.status.casefold() != rule.target_status.casefold():
        return f"status is {issue.status or '?'}, not {rule.target_status}"
    pipeline = rule.mapping.get(issue.project) or next(
        (p for k, p in rule.mapping.items() if k.upper() == issue.project), ""
    )
    if not pipeline:
        return f"project {issue.project} has no pipeline in pipeline_mapping ({rule.where})"
    why = f"{issue.issue_type} in {issue.status}"
    return [Match(STATUS, pipeline, issue.key, issue.summary, why, "", "", "status", issue.status)]


def _labels(rule: Rule, issue: Issue) -> list[Match] | str:
    found = []
    for label in rule.labels:
        if label in issue.labels and rule.mapping.get(label):
            why = f"label {label}"
            found.append(
                Match(
                    LABEL,
                    rule.mapping[label],
                    issue.key,
                    issue.summary,
                    why,
                    "",
                    "",
                    "labels",
                    label,
                )
            )
    if found:
        return found
    if not issue.labels:
        return f"the issue has no labels (rule looks for {', '.join(rule.labels) or 'none'})"
    return f"none of its labels ({', '.join(issue.labels)}) is one of {', '.join(rule.labels)}"


def _versions(rule: Rule, issue: Issue) -> list[Match] | str:
    assert rule.pattern is not None
    found, notes = [], []
    for version in issue.fix_versions:
        if not version.released:
            notes.append(f"{version.name} is not released")
        elif not rule.pattern.search(version.name):
            notes.append(f"{version.name} does not match {rule.pattern.pattern}")
        else:
            pipeline = next((p for regex, p in rule.patterns if regex.search(version.name)), "")
            if not pipeline:
                notes.append(f"no pipeline_mapping pattern matches {version.name}")
                continue
            why = f"version {version.name} released"
            found.append(
                Match(
                    VERSION,
                    pipeline,
                    issue.key,
                    issue.summary,
                    why,
                    version.name,
                    f"version:{version.id or version.name}",
                    released=version.release_date,
                )
            )
    if found:
        return found
    return "; ".join(notes) if notes else "the issue has no fix version"


def _strings(config: Config, *path: str) -> tuple[str, ...]:
    value = config.value(*path)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _mapping(config: Config, *path: str) -> dict[str, str]:
    value = config.raw(*path)
    if not isinstance(value, dict):
        return {}
    return {str(key): str(config.value(*path, key)) for key in value}


def _regex(text: str, where: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as error:
        raise CibridgeError(
            f"{where}: {what} {text[:60]!r} is not a valid regular expression: {error}",
            hint="fix the pattern (Python re syntax; escape backslashes in YAML double quotes)",
        ) from None


def load(config: Config) -> list[Rule]:
    """The configured rules, in the seed's order; a config error names its line."""
    rules = []
    for name in (STATUS, LABEL, VERSION):
        path = (*SECTION, name)
        raw: Any = config.raw(*path)
        if not isinstance(raw, dict):
            continue
        where = config.where(*path)
        mapping = _mapping(config, *path, "pipeline_mapping")
        enabled = raw.get("enabled", True) is not False
        if name == STATUS:
            rules.append(
                Rule(
                    name,
                    enabled,
                    {k.upper(): v for k, v in mapping.items()},
                    where,
                    issue_types=_strings(config, *path, "issue_types"),
                    target_status=str(config.value(*path, "target_status") or ""),
                )
            )
        elif name == LABEL:
            labels = _strings(config, *path, "labels")
            rules.append(Rule(name, enabled, mapping, where, labels=labels or tuple(mapping)))
        else:
            pattern = str(config.value(*path, "version_pattern") or ".*")
            compiled = _regex(pattern, config.where(*path, "version_pattern"), "version_pattern")
            patterns = tuple(
                (_regex(k, config.where(*path, "pipeline_mapping", k), "pipeline_mapping key"), v)
                for k, v in mapping.items()
            )
            within = config.raw(*path, "released_within")
            rules.append(
                Rule(
                    name,
                    enabled,
                    mapping,
                    where,
                    pattern=compiled,
                    patterns=patterns,
                    released_within=DEFAULT_RELEASED_WITHIN
                    if within is None
                    else parse_seconds(within, config.where(*path, "released_within")),
                )
            )
    return rules


def evaluate(rules: list[Rule], issue: Issue) -> Verdict:
    verdict = Verdict()
    for rule in rules:
        rule.evaluate(issue, verdict)
    return verdict
