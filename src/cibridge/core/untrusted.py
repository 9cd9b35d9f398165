"""Text that came from someone else (a server's answer, a payload) made safe to print.

Control characters are dropped so an answer cannot move the cursor, forge a log line or
open a GitLab section; the length is capped so a huge answer cannot flood the log.
"""

from __future__ import annotations

import re

EXCERPT = 300
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides
# that can reorder what a reader sees.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """One printable line of at most ``limit`` characters."""
    line = " ".join(_CONTROLS.sub(" ", str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
