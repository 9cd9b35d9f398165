"""Inline Markdown of Jira comment templates: the text of one paragraph, heading, list item
or table cell as a small tree (see ``markdown`` for the whole syntax).

Emphasis follows CommonMark's delimiter rules closely enough that ``snake_case_names``,
``2*3*4`` spacing and unbalanced markers (``**a``) come out as the characters typed; the
rule of three and link reference definitions are left out.
"""

from __future__ import annotations

import bisect
import re
import string
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias

STATUS_COLORS = ("neutral", "purple", "blue", "red", "yellow", "green")


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Break:
    pass


@dataclass(frozen=True)
class Status:
    text: str
    color: str


@dataclass(frozen=True)
class Styled:
    mark: str  # "strong", "em" or "strike"
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple[Inline, ...]


Inline: TypeAlias = "Text | Code | Break | Status | Styled | Link"
Inlines: TypeAlias = "tuple[Inline, ...]"


@dataclass
class _Delim:
    """A run of ``*``, ``_`` or ``~`` that may open or close emphasis."""

    char: str
    length: int
    can_open: bool
    can_close: bool


_MARKS = {
    ("*", 1): "em",
    ("_", 1): "em",
    ("*", 2): "strong",
    ("_", 2): "strong",
    ("~", 2): "strike",
}
_SPECIAL = re.compile(r"[\\\n`\[{<*_~]|(?<![A-Za-z0-9])https?://", re.IGNORECASE)
_STATUS = re.compile(r"\{status(?::([A-Za-z]+))?\}([^{}\n]+?)\{/status\}", re.IGNORECASE)
_ANGLE_LINK = re.compile(r"<((?:https?://|mailto:)[^\s<>]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\"`]+", re.IGNORECASE)
# Only these become links: javascript:, data: or file: could run code or mislead.
_WEB_HREF = re.compile(r"https?://[^\s/?#\\][^\s]*|mailto:[^\s@]+@\S+", re.IGNORECASE)
_URL_TRAILER = "?!.,:;*_~'"  # punctuation that ends a sentence, not the bare URL in it


def escape(text: str) -> str:
    """``text`` as Markdown that renders as exactly that text (a template's values)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def _punctuation(char: str) -> bool:
    return char in string.punctuation or unicodedata.category(char)[0] in "PS"


def _delimiters(text: str, at: int, run: str) -> list[_Delim | Text]:
    before = text[at - 1] if at else " "
    after = text[at + len(run)] if at + len(run) < len(text) else " "
    left = not after.isspace() and (
        not _punctuation(after) or before.isspace() or _punctuation(before)
    )
    right = not before.isspace() and (
        not _punctuation(before) or after.isspace() or _punctuation(after)
    )
    char = run[0]
    if char == "_":  # inside a word (snake_case_names) an underscore is a letter
        left, right = (
            left and (not right or _punctuation(before)),
            right and (not left or _punctuation(after)),
        )
    if char == "~":
        return [_Delim("~", 2, left, right)] if len(run) == 2 else [Text(run)]
    if len(run) <= 2:
        return [_Delim(char, len(run), left, right)]
    if len(run) == 3 and left != right:  # ***both***: strong outside, em inside
        order = (2, 1) if left else (1, 2)
        return [_Delim(char, n, left, right) for n in order]
    return [Text(run)]


_BRACKETS = re.compile(r"\\.|[\[\]()\n]", re.DOTALL)
_RUN = re.compile(r"\*+|_+|~+")
_BACKTICKS = re.compile(r"`+")


def _bracket_pairs(text: str) -> dict[int, int]:
    """Each ``[`` and ``(`` with the bracket closing it on the same line, found in one pass
    (a scan per bracket would make a line of ``[[[[`` cost quadratic time)."""
    pairs: dict[int, int] = {}
    stacks: dict[str, list[int]] = {"[": [], "(": []}
    for found in _BRACKETS.finditer(text):
        char = found.group(0)
        if char == "\n":
            stacks = {"[": [], "(": []}
        elif char in stacks:
            stacks[char].append(found.start())
        elif len(char) == 1 and (stack := stacks["[" if char == "]" else "("]):
            pairs[stack.pop()] = found.start()
    return pairs


def _bare_url(text: str, at: int) -> tuple[Inline, int] | None:
    match = _BARE_URL.match(text, at)
    url = match.group(0).rstrip(_URL_TRAILER) if match else ""
    unbalanced, end = url.count(")") - url.count("("), len(url)
    while unbalanced > 0 and url[end - 1] == ")":  # (see https://x.test) keeps its ")"
        end, unbalanced = end - 1, unbalanced - 1
        while url[end - 1] in _URL_TRAILER:
            end -= 1
    url = url[:end]
    if not _WEB_HREF.fullmatch(url):
        return None
    return Link(url, (Text(url),)), at + len(url)


class _Scanner:
    """One text's tokens; what it learns about the text is kept, so hostile input such as
    thousands of unclosed brackets or backticks still takes linear time."""

    def __init__(self, text: str, in_link: bool) -> None:
        self.text = text
        self.in_link = in_link
        self.pairs: dict[int, int] | None = None
        # Start of every backtick run by its length: a code span closes at the next run of
        # its own length, and rescanning for each of many unclosed runs is quadratic.
        self.runs: dict[int, list[int]] | None = None

    def tokens(self) -> list[Inline | _Delim]:
        text, at = self.text, 0
        tokens: list[Inline | _Delim] = []
        while at < len(text):
            special = _SPECIAL.search(text, at)
            start = special.start() if special else len(text)
            if start > at:
                tokens.append(Text(text[at:start]))
            if special is None:
                break
            at = start
            if run := _RUN.match(text, at):
                tokens.extend(_delimiters(text, at, run.group(0)))
                at = run.end()
                continue
            found = self._construct(at)
            if found is None:  # not the construct it looked like: one literal character
                found = Text(text[at]), at + 1
            tokens.append(found[0])
            at = found[1]
        return tokens

    def _construct(self, at: int) -> tuple[Inline, int] | None:
        """The construct starting at ``text[at]`` and where it ends, or None."""
        text, char = self.text, self.text[at]
        if char == "\\":
            escaped = text[at + 1 : at + 2]
            if escaped == "\n":
                return Break(), at + 2
            return (Text(escaped), at + 2) if escaped and escaped in string.punctuation else None
        if char == "\n":
            return Break(), at + 1
        if char == "`":
            return self._code_span(at)
        if self.in_link:  # no links inside a link's text
            return None
        if char == "[":
            return self._link(at)
        if char == "{":
            status = _STATUS.match(text, at)
            color = (status[1] or "neutral").lower() if status else ""
            if status and color in STATUS_COLORS and status[2].strip():
                return Status(status[2].strip(), color), status.end()
            return None
        if char == "<":
            angle = _ANGLE_LINK.match(text, at)
            return (Link(angle[1], (Text(angle[1]),)), angle.end()) if angle else None
        return _bare_url(text, at)

    def _code_span(self, at: int) -> tuple[Inline, int]:
        if self.runs is None:
            self.runs = {}
            for found in _BACKTICKS.finditer(self.text):
                self.runs.setdefault(len(found.group(0)), []).append(found.start())
        run = _BACKTICKS.match(self.text, at)
        assert run is not None
        fence, end_of_run = run.group(0), run.end()
        same_length = self.runs.get(len(fence), [])
        later = bisect.bisect_left(same_length, end_of_run)
        if later == len(same_length):
            return Text(fence), end_of_run
        closing = same_length[later]
        body = self.text[end_of_run:closing].replace("\n", " ")
        if len(body) > 2 and body[0] == body[-1] == " " and body.strip():
            body = body[1:-1]
        return (Code(body) if body else Text(fence * 2)), closing + len(fence)

    def _link(self, at: int) -> tuple[Inline, int] | None:
        if self.pairs is None:
            self.pairs = _bracket_pairs(self.text)
        label_end = self.pairs.get(at, -1)
        has_href = label_end > 0 and self.text[label_end + 1 : label_end + 2] == "("
        href_end = self.pairs.get(label_end + 1, -1) if has_href else -1
        if href_end < 0 or not _WEB_HREF.fullmatch(href := self.text[label_end + 2 : href_end]):
            return None
        label = inlines(self.text[at + 1 : label_end], in_link=True) or (Text(href),)
        return Link(href, label), href_end + 1


def _literal(items: list[Inline | _Delim]) -> Inlines:
    """``items`` with unmatched delimiters as the characters they were, texts merged."""
    merged: list[Inline] = []
    pending: list[str] = []  # joined once: adding text to text is quadratic on long runs
    for item in items:
        if isinstance(item, (_Delim, Text)):
            pending.append(item.char * item.length if isinstance(item, _Delim) else item.text)
            continue
        if pending:
            merged.append(Text("".join(pending)))
            pending = []
        merged.append(item)
    if pending:
        merged.append(Text("".join(pending)))
    return tuple(merged)


def _matching_opener(out: list[Inline | _Delim], openers: list[int], closer: _Delim) -> int:
    """Position in ``openers`` of the nearest opener ``closer`` closes (there is one)."""
    depth = len(openers) - 1
    while True:
        opener = out[openers[depth]]
        if isinstance(opener, _Delim) and (opener.char, opener.length) == (
            closer.char,
            closer.length,
        ):
            return depth
        depth -= 1


def inlines(text: str, in_link: bool = False) -> Inlines:
    """The inline tree of ``text``; newlines are line breaks (none at either end)."""
    out: list[Inline | _Delim] = []
    openers: list[int] = []  # indexes in `out` of delimiters that may still open
    # How many openers of each kind wait: a closer with none skips the search, and a search
    # removes every opener it passes, so matching stays linear.
    waiting: dict[tuple[str, int], int] = dict.fromkeys(_MARKS, 0)
    for token in _Scanner(text, in_link).tokens():
        if isinstance(token, _Delim):
            kind = (token.char, token.length)
            if token.can_close and waiting[kind]:
                depth = _matching_opener(out, openers, token)
                start = openers[depth]
                for index in openers[depth:]:
                    passed = out[index]
                    assert isinstance(passed, _Delim)
                    waiting[passed.char, passed.length] -= 1
                # Openers after the matching one were never closed: they stay literal inside.
                children = _literal(out[start + 1 :])
                del out[start:], openers[depth:]
                out.append(Styled(_MARKS[kind], children))
                continue
            if token.can_open:
                openers.append(len(out))
                waiting[kind] += 1
        out.append(token)
    nodes = list(_literal(out))
    while nodes and isinstance(nodes[-1], Break):
        nodes.pop()
    while nodes and isinstance(nodes[0], Break):
        nodes.pop(0)
    return tuple(nodes)
