"""ISO 8601 times as CI systems and APIs write them: read from them, and written for them."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def parse(text: str) -> datetime | None:
    """``text`` as an aware datetime, or None when it is not ISO 8601. A trailing ``Z`` is
    read on every supported Python (3.10's ``fromisoformat`` refuses it), and a time with
    no zone is UTC, as GitHub, GitLab and Jira mean it."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def text(moment: datetime | float, *, milliseconds: bool = False) -> str:
    """``2026-11-27T09:12:44Z``: UTC, ``Z``, whole seconds (cut, not rounded), or
    ``…44.250Z`` with ``milliseconds`` (Alertmanager's silences). A float is unix seconds;
    a datetime without a zone is UTC, as :func:`parse` reads one, never the machine's."""
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
        when = aware.astimezone(timezone.utc)
    else:
        when = datetime.fromtimestamp(moment, timezone.utc)
    stamp = when.isoformat(timespec="milliseconds" if milliseconds else "seconds")
    return stamp.replace("+00:00", "Z")


def now() -> str:
    return text(time.time())


def today() -> str:
    """Today's date in UTC, as every other time cibridge writes (never the runner's zone)."""
    return text(time.time())[:10]
