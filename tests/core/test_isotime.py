"""ISO 8601 times as CI systems and APIs write them."""

from __future__ import annotations

import time
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


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (1_700_000_000.25, "2023-11-14T22:13:20Z"),  # cut to the second, not rounded
        (1_700_000_000.99, "2023-11-14T22:13:20Z"),
        (datetime(2026, 1, 1, 2, 0, 10, 999, tzinfo=timezone(timedelta(hours=2))),
         "2026-01-01T00:00:10Z"),
    ],
)  # fmt: skip
def test_text_is_utc_with_z(moment: datetime | float, expected: str) -> None:
    assert isotime.text(moment) == expected


def test_text_with_milliseconds_for_alertmanager() -> None:
    assert isotime.text(1_700_000_000.25, milliseconds=True) == "2023-11-14T22:13:20.250Z"


def test_a_time_without_a_zone_is_written_as_utc_as_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The context's writer read a zoneless time as the machine's local time, while parse()
    # reads one as UTC: a runner in UTC+8 moved it eight hours.
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        naive = datetime(2026, 1, 1, 8, 0, 0)
        assert isotime.text(naive) == "2026-01-01T08:00:00Z"
        assert isotime.parse(isotime.text(naive)) == isotime.parse("2026-01-01T08:00:00")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_now_reads_back() -> None:
    found = isotime.parse(isotime.now())
    assert found is not None and abs(found.timestamp() - time.time()) < 5
