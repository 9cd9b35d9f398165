"""Jira issue keys in free text: commit messages, pull request titles, branch names.

A key is ``PROJECT-NUMBER``. The rules, most of them there to keep version numbers, dates,
CVE ids and words out:

- PROJECT is an ASCII letter then letters, digits or ``_`` (Jira's rule), 2 to 30
  characters, written all upper-case or all lower-case (``PROJ-12``, ``proj-12``; not
  ``Covid-19``, not ``thisNOT-123``). Keys are returned upper-cased.
- NUMBER has no leading zero and at most 7 digits: the biggest Jira sites count issues in
  the millions, while 8 digits is usually a date (``REL-20240115``).
- The key is a word of its own. Before it: the start, a space or punctuation other than
  ``-`` (``/browse/PROJ-7``, ``(PROJ-7)``, ``#PROJ-7``), never a letter, digit, ``_`` or
  ``-`` (``thisNOT-123``, ``x-PROJ-1``), nor a dotted name (``pkg.mod-1``). After it: the
  end, a space or punctuation (``PROJ-12.``, ``PROJ-12:``, ``PROJ-42-add-login``), or
  ``_`` (``PROJ-42_fix``, a common branch-name separator); never a letter or digit
  (``PROJ-12abc``), ``-`` and a digit (``CVE-2024-1234``, ``ISO-8859-1``) or ``.`` and a
  word (``release-1.2``, ``web-1.example.com``). Chinese, Japanese and Korean text is
  written without spaces, so those characters count as boundaries (``修复PROJ-12的问题``).
- Without an allowlist, a few project names that are really standards, encodings or
  algorithms are never keys (``_NOT_PROJECTS``). With an allowlist (``projects:``), only
  its projects count, in any letter case and of any length (a one-letter project ``X``
  only then), and the denylist is not consulted: the allowlist already rules out the
  false positives it exists for.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import NamedTuple

MAX_NUMBER_DIGITS = 7
MAX_PROJECT_LENGTH = 30

# Scripts written without spaces between words: a key glued to them still stands alone.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_KEY = re.compile(
    rf"(?<![^\W{_CJK}])(?<!-)(?<!\w\.)"
    rf"([A-Za-z][A-Za-z0-9_]*)-([1-9][0-9]{{0,{MAX_NUMBER_DIGITS - 1}}})"
    rf"(?![^\W_{_CJK}])(?!-[0-9])(?!\.\w)"
)
_ONE_KEY = re.compile(rf"\s*([A-Za-z][A-Za-z0-9_]*)-([1-9][0-9]{{0,{MAX_NUMBER_DIGITS - 1}}})\s*")

# Names written NAME-number in technical text far more often than they are Jira projects.
# Each entry is here because real commit messages carry it; a team whose project really is
# called one of these sets `projects:` and gets its keys back.
_NOT_PROJECTS = frozenset(
    {
        "UTF",  # UTF-8, UTF-16
        "UCS",  # UCS-2, UCS-4
        "SHA",  # SHA-1, SHA-256
        "MD",  # md-5
        "AES",  # AES-128, AES-256
        "RSA",  # RSA-2048, RSA-4096
        "ISO",  # ISO-8601, ISO-27001
        "RFC",  # RFC-7231
        "PEP",  # PEP-8
        "IEEE",  # IEEE-754
        "ECMA",  # ECMA-262
        "CVE",  # CVE-2024 alone; CVE-2024-1234 is already no key by the "-digit" rule
        "CWE",  # CWE-79
        "GPL",  # GPL-2, GPL-3
        "LGPL",  # LGPL-3
        "AGPL",  # AGPL-3
        "X86",  # x86-64
        "COVID",  # COVID-19
    }
)


class Source(NamedTuple):
    """A text to look for keys in and where it came from, as the command reports it:
    ``Source("commit abc1234", message)``, ``Source("branch", "feature/PROJ-42-login")``.

    A named tuple, so plain ``(where, text)`` pairs work wherever a Source does."""

    where: str
    text: str


def _allowlist(projects: Collection[str] | None) -> frozenset[str] | None:
    wanted = frozenset(p.strip().upper() for p in projects or () if p.strip())
    return wanted or None  # an empty allowlist would reject everything: treat it as none


def _accepted(project: str, allowed: frozenset[str] | None) -> bool:
    upper = project.upper()
    if allowed is not None:
        return upper in allowed
    return (
        2 <= len(project) <= MAX_PROJECT_LENGTH
        and project in (upper, project.lower())
        and upper not in _NOT_PROJECTS
    )


def find_keys(text: str, projects: Collection[str] | None = None) -> list[str]:
    """The issue keys in ``text``, upper-cased, each once, in order of first appearance.

    ``projects`` (case-insensitive) limits the result to those projects; see the module
    documentation for the rules.
    """
    allowed = _allowlist(projects)
    found: dict[str, None] = {}
    for match in _KEY.finditer(text):
        project, number = match.groups()
        if _accepted(project, allowed):
            found.setdefault(f"{project.upper()}-{number}", None)
    return list(found)


def parse_key(value: str) -> str | None:
    """A key given on its own (``--issue proj-12``), upper-cased; None when ``value`` is not
    shaped like one. Neither the letter-case rule nor the denylist applies: someone named
    this issue on purpose."""
    match = _ONE_KEY.fullmatch(value)
    return f"{match[1].upper()}-{match[2]}" if match else None


def discover(
    texts: Iterable[Source | tuple[str, str]], projects: Collection[str] | None = None
) -> dict[str, list[str]]:
    """Each key found in ``texts`` with the places it came from, so the command can say why
    it touched an issue: ``{"PROJ-12": ["branch", "commit abc1234"]}``.

    Keys are in order of first appearance; each key's sources in the order given, each once.
    """
    allowed = _allowlist(projects)
    found: dict[str, list[str]] = {}
    for where, text in texts:
        for key in find_keys(text, allowed):
            sources = found.setdefault(key, [])
            if where not in sources:
                sources.append(where)
    return found
