"""Durations: one syntax read everywhere, and written back in it."""

from __future__ import annotations

import pytest

from cibridge.core.durations import parse_duration, parse_seconds, parse_timeout, seconds_text
from cibridge.core.errors import CibridgeError


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (30, 30.0),
        ("30", 30.0),
        ("30s", 30.0),
        ("30 s", 30.0),
        ("5m", 300.0),
        ("1.5m", 90.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1s500ms", 1.5),
        ("2d", 172800.0),
        ("1w", 604800.0),
    ],
)
def test_what_notify_and_the_gate_each_accepted_both_accept(value: object, seconds: float) -> None:
    # Notify's timeout refused 1h30m and 2d; the gate refused 1.5m and "30 s".
    assert parse_duration(value) == seconds
    assert parse_seconds(value, "f.yml:3") == seconds


@pytest.mark.parametrize("value", ["", " ", "soon", "5 minutes", "-1", -1, "m5", "5mm", "30m1h",
                                   "1h 30m", True, float("nan"), "inf"])  # fmt: skip
def test_not_durations(value: object) -> None:
    assert parse_duration(value) is None
    with pytest.raises(CibridgeError) as caught:
        parse_seconds(value, "f.yml:3")
    assert caught.value.message == f"f.yml:3: {value!r} is not a duration"
    assert caught.value.exit_code == 2 and "1h30m" in caught.value.hint


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (30, "30s"), (90, "1m30s"), (300, "5m"), (5400, "1h30m"), (0.5, "500ms"),
     (1.5, "1s500ms"), (172800, "2d"), (-5, "-5s")],
)  # fmt: skip
def test_seconds_text_is_prometheus_syntax(seconds: float, text: str) -> None:
    assert seconds_text(seconds) == text


@pytest.mark.parametrize("seconds", [0.5, 59.5, 90.25, 86400 * 3 + 1, 1e-3])
def test_what_is_written_reads_back(seconds: float) -> None:
    # The gate wrote 0.5 as "0.5s", which its own parser refused.
    assert parse_duration(seconds_text(seconds)) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [0, "0", "0s", "0ms", 0.0])
def test_a_timeout_of_nothing_is_refused_naming_the_place(value: object) -> None:
    with pytest.raises(CibridgeError, match=r"c\.yml:4: a timeout of .* lets no answer arrive"):
        parse_timeout(value, "c.yml:4")


def test_a_timeout_reads_as_its_seconds() -> None:
    assert parse_timeout("1m30s", "c.yml:4") == 90.0
    assert parse_timeout(0.25, "c.yml:4") == 0.25


@pytest.mark.parametrize("value", [10**400, "1" + "0" * 400, 1e12, "2d"])
def test_a_timeout_past_a_day_or_past_a_float_is_a_usage_error(value: object) -> None:
    with pytest.raises(CibridgeError, match=r"c\.yml:4: .*(more than a day|not a duration)"):
        parse_timeout(value, "c.yml:4")


def test_an_integer_too_large_for_a_float_is_no_duration() -> None:
    assert parse_duration(10**400) is None
