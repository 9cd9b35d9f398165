"""Behaviour of notify/limits.py that mutation testing (mutmut 3) showed no test pinned down:
``shrink`` reports success when the payload fits exactly, also on its last round."""

from __future__ import annotations

from typing import Any

from cibridge.notify import limits


def _one_field(payload: dict[str, Any]) -> int:
    # A limit on one field while every text may be cut: each round closes half the gap,
    # so a gap of 20 takes all five rounds and ends exactly at the limit.
    return len(payload["text"])


def test_shrink_reports_a_fit_reached_exactly_on_its_last_round() -> None:
    payload = {"text": "t" * 120, "detail": "d" * 120}
    assert limits.shrink(payload, 100, _one_field)
    assert len(payload["text"]) == 100
    assert payload["text"].endswith(limits.MARK)
