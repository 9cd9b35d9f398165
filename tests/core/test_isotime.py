"""ISO 8601 times as CI systems and APIs write them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cibridge.core import isotime

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T00:00:10Z", datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)),
        (" 2026-01-01T00:00:10Z\n", datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)),
        ("2026-01-01T00:00:10", datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)),  # no zone: UTC
        (
            "2026-01-01T02:00:10+02:00",
            datetime(2026, 1, 1, 2, 0, 10, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_parse(text: str, expected: datetime | None) -> None:
    found = isotime.parse(text)
    assert found == expected
    assert found is None or found.tzinfo is not None
