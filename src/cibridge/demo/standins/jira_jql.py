"""The slice of JQL cibridge sends: clauses joined by AND, and an optional ORDER BY.

Supported: ``project``, ``status``, ``issuetype`` (``type``), ``labels``, ``fixVersion``
(also ``fixVersion in releasedVersions()``) and ``key`` (``issuekey``) with ``=``, ``!=``,
``in (...)`` and ``not in (...)``, values bare or quoted; ``created`` and ``updated``
compared (``>= > <= < = !=``) with a date (``2026-12-01``, ``2026/12/01 10:00``) or a
period from now (``-1d``, ``"-4w 2d"``). Jira's own errors come back for what Jira would
refuse (an unknown field, a project or status that does not exist, a key nobody can see,
a date it cannot read); shapes Jira accepts but this stand-in does not (OR, functions,
parentheses) are refused with a ``stand-in:`` message so a test never passes on a query
real Jira would answer differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from operator import eq, ge, gt, le, lt, ne

from cibridge.demo.standins.jira_errors import UNBOUNDED
from cibridge.demo.standins.jira_seed import ISSUE_TYPES, STATUSES
from cibridge.demo.standins.jira_state import Issue, JiraState

_TOKEN = re.compile(
    r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|=|~|>|<|[(),])|(?P<w>[^\s"\'(),=!~<>]+))'
)
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9]+")
_FIELDS = {
    "project": "project",
    "status": "status",
    "issuetype": "issuetype",
    "type": "issuetype",
    "labels": "labels",
    "fixversion": "fixVersion",
    "key": "key",
    "issuekey": "key",
}
_DATE_FIELDS = {"created", "updated"}
_ORDER_FIELDS = {"key", "issuekey", "created", "updated", "id"}
_PERIOD = re.compile(r"([-+]?)((?:\s*\d+\s*[wdhm])+)")
_PERIOD_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    ">=": ge,
    ">": gt,
    "<=": le,
    "<": lt,
    "=": eq,
    "!=": ne,
}
STAMP = "%Y-%m-%dT%H:%M:%S.%f%z"  # how Issue.created / updated are written
RELEASED = "releasedVersions"
RELEASED_CALL = "releasedVersions()"  # a Clause value standing for every released version


class JqlError(Exception):
    def __init__(self, message: str, *more: str, stand_in: bool = False) -> None:
        super().__init__(message)
        self.messages = (message, *more)  # Jira lists every value it refuses, one each
        self.stand_in = stand_in


@dataclass(frozen=True)
class Clause:
    field: str
    negated: bool
    values: tuple[str, ...]


@dataclass(frozen=True)
class DateClause:
    field: str  # created or updated
    operator: str
    when: datetime


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause | DateClause, ...]
    ascending: bool = False  # without ORDER BY, Jira lists the newest issues first


def _syntax(expected: str, token: tuple[str, str, int] | None) -> JqlError:
    if token is None:
        return JqlError(
            f"Error in the JQL Query: Expecting {expected} before the end of the query."
        )
    return JqlError(
        f"Error in the JQL Query: Expecting {expected} but got '{token[1]}'. "
        f"(line 1, character {token[2]})"
    )


def _tokens(jql: str) -> list[tuple[str, str, int]]:
    """(kind, text, 1-based column) triples; kind is q(uoted), op, or w(ord)."""
    found, position, end = [], 0, len(jql.rstrip())
    while position < end:
        match = _TOKEN.match(jql, position)
        if match is None:
            raise JqlError(
                f"Error in the JQL Query: The character '{jql[position]}' is a reserved JQL "
                f"character. (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "w"
        text = match.group(kind)
        if kind == "q":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        found.append((kind, text, match.start(kind) + 1))
        position = match.end()
    return found


class _Parser:
    def __init__(self, jql: str) -> None:
        self.tokens = _tokens(jql)
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise _syntax(expected, None)
        self.index += 1
        return token

    def word(self) -> str:
        token = self.peek()
        return token[1].upper() if token is not None and token[0] == "w" else ""

    def query(self) -> Query:
        clauses: list[Clause | DateClause] = []
        while self.peek() is not None and self.word() != "ORDER":
            if clauses:
                if self.word() in ("OR", "NOT") or (self.peek() or ("", "", 0))[1] == "(":
                    raise JqlError("only clauses joined by AND are supported", stand_in=True)
                if self.word() != "AND":
                    raise _syntax("either 'OR' or 'AND'", self.peek())
                self.index += 1
            clauses.append(self.clause())
        ascending = self.order() if self.peek() is not None else False
        if not clauses:
            raise JqlError(UNBOUNDED)
        return Query(tuple(clauses), ascending)

    def clause(self) -> Clause | DateClause:
        kind, name, _ = token = self.take("a field name")
        if kind == "op":
            if name == "(":
                raise JqlError("parentheses are not supported", stand_in=True)
            raise _syntax("a field name", token)
        if name.lower() in _DATE_FIELDS:
            return self.date_clause(name)
        field = _FIELDS.get(name.lower())
        if field is None:
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            )
        operator = self.take("an operator")[1].upper()
        if operator == "NOT" and self.word() == "IN":
            self.index += 1
            return Clause(field, True, self.values())
        if operator == "IN":
            if field == "fixVersion" and self.word() == RELEASED.upper():
                return Clause(field, False, (self.function(),))
            return Clause(field, False, self.values())
        if operator not in ("=", "!="):
            raise JqlError(f"the operator '{operator}' is not supported", stand_in=True)
        kind, value, _ = token = self.take("a value")
        following = self.peek()
        if kind == "op" or (following is not None and following[1] == "("):
            raise JqlError(
                f"functions and lists after '{operator}' are not supported", stand_in=True
            )
        return Clause(field, operator == "!=", (value,))

    def date_clause(self, name: str) -> DateClause:
        operator = self.take("an operator")[1].upper()
        if operator not in _COMPARE:
            raise JqlError(f"the operator '{operator}' on dates is not supported", stand_in=True)
        value = self.take("a value")[1]
        following = self.peek()
        if following is not None and following[1] == "(":  # now(), startOfDay(), ...
            raise JqlError(f"date functions ({value}()) are not supported", stand_in=True)
        return DateClause(name.lower(), operator, _date(value, name))

    def function(self) -> str:
        """``releasedVersions()``, the one JQL function supported (no arguments)."""
        self.index += 1
        if [self.take("'('")[1], self.take("')'")[1]] != ["(", ")"]:
            raise JqlError("releasedVersions() takes no arguments here", stand_in=True)
        return RELEASED_CALL

    def values(self) -> tuple[str, ...]:
        if self.take("'('")[1] != "(":
            raise JqlError("only literal lists after 'in' are supported", stand_in=True)
        values: list[str] = []
        while True:
            kind, text, _ = token = self.take("')'")
            if kind != "op":
                values.append(text)
            elif text == ")" and values:
                return tuple(values)
            elif text != ",":
                raise _syntax("a value", token)

    def order(self) -> bool:
        words = [text for _, text, _ in self.tokens[self.index :]]
        if (
            len(words) not in (3, 4)
            or words[1].upper() != "BY"
            or words[2].lower() not in _ORDER_FIELDS
            or (len(words) == 4 and words[3].upper() not in ("ASC", "DESC"))
        ):
            raise JqlError("ORDER BY one of key, created, updated (ASC or DESC)", stand_in=True)
        return not (len(words) == 4 and words[3].upper() == "DESC")


def _date(value: str, name: str) -> datetime:
    """A JQL date or period (from now, UTC), or the error Jira gives for anything else."""
    period = _PERIOD.fullmatch(value.strip())
    try:
        found = _period(period) if period else _absolute(value)
    except OverflowError:
        raise JqlError(
            f"the period {value!r} is outside the years 1 to 9999", stand_in=True
        ) from None
    if found is None:
        raise _invalid_date(value, name)
    return found


def _period(period: re.Match[str]) -> datetime:
    """``-1d``, ``"4w 2d"``: from now (UTC)."""
    delta = sum(
        (int(amount) * _PERIOD_UNITS[unit]
         for amount, unit in re.findall(r"(\d+)\s*([wdhm])", period.group(2))),
        timedelta(),
    )  # fmt: skip
    return datetime.now(timezone.utc) + (-delta if period.group(1) == "-" else delta)


def _absolute(value: str) -> datetime | None:
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(value, form).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _invalid_date(value: str, name: str) -> JqlError:
    return JqlError(
        f"Date value '{value}' for field '{name}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


def parse(jql: str) -> Query:
    return _Parser(jql).query()


def _check(state: JiraState, clause: Clause) -> None:
    """Jira refuses a value that does not exist for the field (but not an unknown label)."""
    known: dict[str, Callable[[str], bool]] = {
        "project": lambda v: any(
            p.visible and v.upper() in (p.key, p.name.upper(), str(p.id))
            for p in state.projects.values()
        ),
        "status": lambda v: v.casefold() in {s.casefold() for s in STATUSES},
        "issuetype": lambda v: v.casefold() in {t.casefold() for t in ISSUE_TYPES},
        "fixVersion": lambda v: any(
            v.casefold() == x.name.casefold() for x in state.versions.values()
        ),
    }
    refused = []
    for value in clause.values:
        if value == RELEASED_CALL:
            continue
        if clause.field == "key":
            if not _KEY.fullmatch(value):
                refused.append(f"The issue key '{value}' for field 'key' is invalid.")
            elif state.visible(value) is None:
                refused.append(f"An issue with key '{value}' does not exist for field 'key'.")
        elif clause.field in known and not known[clause.field](value):
            refused.append(f"The value '{value}' does not exist for the field '{clause.field}'.")
    if refused:
        raise JqlError(*refused)


def _values(state: JiraState, issue: Issue, field: str) -> set[str]:
    if field == "project":
        project = state.project_of(issue)
        return {project.key.casefold(), project.name.casefold(), str(project.id)}
    if field == "status":
        return {issue.status.casefold()}
    if field == "issuetype":
        return {issue.issue_type.casefold()}
    if field == "labels":
        return set(issue.labels)
    if field == "fixVersion":
        return {state.versions[v].name.casefold() for v in issue.fix_versions}
    return {issue.key.casefold()}


def search(state: JiraState, jql: str) -> list[Issue]:
    """The visible issues ``jql`` selects, in Jira's default order (newest first)."""
    query = parse(jql)
    for clause in query.clauses:
        if isinstance(clause, Clause):
            _check(state, clause)
    found = []
    for issue in state.issues.values():
        if not state.project_of(issue).visible:
            continue
        matched = True
        for clause in query.clauses:
            if isinstance(clause, DateClause):
                stamp = datetime.strptime(getattr(issue, clause.field), STAMP)
                matched = matched and _COMPARE[clause.operator](stamp, clause.when)
                continue
            have = _values(state, issue, clause.field)
            wanted = {v if clause.field == "labels" else v.casefold() for v in clause.values}
            if RELEASED_CALL.casefold() in wanted:
                wanted |= {v.name.casefold() for v in state.versions.values() if v.released}
            matched = matched and bool(have & wanted) != clause.negated
        if matched:
            found.append(issue)
    # ORDER BY key, created and updated all follow creation order here.
    return sorted(found, key=lambda i: int(i.id), reverse=not query.ascending)
