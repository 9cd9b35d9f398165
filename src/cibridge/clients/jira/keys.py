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
- Inside a URL (but after ``/browse/``, a Jira link), an e-mail address or an image
  reference (``registry/image-1:tag``) nothing is a key: ``#discussioncomment-3118836``,
  ``x@org-6811672.example``. Inside a file path (one ending in ``/`` or a file name with an
  extension: ``docs/ghes-221/``) and in the branch names of a merge subject ("Merge pull
  request #19 from user/patch-1", "Merge branch 'issue-604'"), a lower-case look-alike is
  not a key: in a path any lower-case one, in a branch name one that is a whole ``/``
  segment (``bugfix/abc-17_null_check`` still names ABC-17). Upper-case keys there count.
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


# Where a key-shaped word is something else. Spans, not substitutions: the boundary rules
# above still see the original text.
_URL = re.compile(r"\b(?:https?|ftp|ssh|git)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+", re.IGNORECASE)
_BROWSE = "/browse/"  # a Jira issue link: its key is the point of the URL
# Each starts only where a token does (the lookbehinds), so a long run of word characters
# costs one scan, not one per position.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_NAME = r"[a-z0-9][a-z0-9._-]*"  # image names are lower-case by Docker's rule
_IMAGE = re.compile(
    rf"(?<![\w./:@-])(?:(?:{_NAME}(?::[0-9]+)?/)+{_NAME}(?::\w[\w.-]*|@sha256:[0-9a-f]{{64}})"
    rf"|{_NAME}(?::(?:latest|v?[0-9][\w.-]*)|@sha256:[0-9a-f]{{64}}))"
)
_PATH = re.compile(r"(?<![^\s<>\"'`()\[\]{}])[^\s<>\"'`()\[\]{}]*/[^\s<>\"'`()\[\]{}]*")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")  # a file name's, not a version's
_MERGE = re.compile(r"^Merge\b[^\n]*", re.MULTILINE)
_MERGED_PR = re.compile(r"pull request #[0-9]+ from (\S+)")
_QUOTED = re.compile(r"'([^'\n]+)'")


class _Span(NamedTuple):
    start: int
    end: int
    kind: str  # url, email, image, path or branch


def _spans(text: str) -> list[_Span]:
    found = [_Span(*m.span(), "url") for m in _URL.finditer(text)]
    found += [_Span(*m.span(), "email") for m in _EMAIL.finditer(text)]
    found += [_Span(*m.span(), "image") for m in _IMAGE.finditer(text)]
    found += [_Span(*m.span(), "path") for m in _PATH.finditer(text) if _is_file_path(m[0])]
    for merge in _MERGE.finditer(text):
        pr = _MERGED_PR.search(merge[0])
        names = [pr] if pr else list(_QUOTED.finditer(merge[0]))
        found += [
            _Span(merge.start() + n.start(1), merge.start() + n.end(1), "branch") for n in names
        ]
    return found


def _is_file_path(token: str) -> bool:
    """A directory (``docs/ghes-221/``) or a file with an extension; not a branch name
    (``feature/proj-42-login``), which is written the same way otherwise."""
    stripped = token.rstrip(".,;:!?")
    # _EXTENSION is anchored at the end and holds no "/": it only ever sees the file name.
    return stripped.endswith("/") or bool(_EXTENSION.search(stripped))


def _look_alike(match: re.Match[str], text: str, spans: list[_Span]) -> bool:
    """Whether this key-shaped match sits where it names something else."""
    start, end = match.span()
    return any(
        _names_something_else(match, text, span)
        for span in spans
        if span.start <= start and end <= span.end
    )


def _names_something_else(match: re.Match[str], text: str, span: _Span) -> bool:
    start, end = match.span()
    lower = match[1].islower()
    if span.kind == "url":
        return text[max(0, start - len(_BROWSE)) : start].lower() != _BROWSE
    if span.kind == "path":
        return lower
    if span.kind == "branch":
        # A whole segment ('issue-604', 'user/patch-1') is a branch's name; a key followed
        # by a description ('abc-17_null_check') is how a branch names its issue.
        whole = (start == span.start or text[start - 1] == "/") and (
            end == span.end or text[end] == "/"
        )
        return lower and whole
    return True  # an e-mail address or an image reference


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
    spans = _spans(text)
    for match in _KEY.finditer(text):
        project, number = match.groups()
        if _accepted(project, allowed) and not _look_alike(match, text, spans):
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
