"""Text that came from someone else (a server's answer, a payload) made safe to print.

Control characters are dropped so an answer cannot move the cursor, forge a log line or
open a GitLab section; the length is capped so a huge answer cannot flood the log. An
excerpt is masked before it is cut: a server that echoes a token would otherwise leave the
part before the cut, which no longer matches the registered secret, in the message.
"""

from __future__ import annotations

import re

from cibridge.core import redact

EXCERPT = 300
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides
# that can reorder what a reader sees.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """One printable line of at most ``limit`` characters, registered secrets masked."""
    line = " ".join(_CONTROLS.sub(" ", redact.redact(str(text))).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Everything a terminal or CI log reader may act on, except the line feed a multi-line
# message needs: a lone \r is a line break to the GitHub runner (.NET ReadLine splits on
# \r, \n and \r\n), so "x\r::error::y" would start a command line the \n guard never sees;
# ESC opens ANSI/OSC sequences and GitLab's section_start markers.
_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control but the line feed shown as an escape (``\\x0d``,
    ``\\x1b``), so data printed to a log is read, never obeyed; lines are kept."""
    return _UNPRINTABLE.sub(_visible, str(text))
