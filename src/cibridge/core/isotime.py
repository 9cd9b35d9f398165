"""ISO 8601 times as CI systems and APIs write them."""

from __future__ import annotations

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
