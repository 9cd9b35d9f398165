from __future__ import annotations

import itertools
import json
from typing import Any

from cibridge.notify import limits


def test_utf8_bytes_never_splits_a_character() -> None:
    text = "长" * 100
    cut = limits.utf8_bytes(text, 50)
    assert len(cut.encode()) <= 50
    assert cut.endswith("…")
    cut.encode().decode()  # still valid UTF-8


def test_shrink_cuts_the_longest_texts_first_and_spares_identifiers() -> None:
    payload = {
        "type": "x" * 40,
        "url": "https://example.com/" + "p" * 200,
        "title": "short",
        "body": "b" * 5000,
        "items": [{"text": "c" * 3000}],
    }
    size = lambda p: len(json.dumps(p))  # noqa: E731
    assert limits.shrink(payload, 1500, size)
    assert size(payload) <= 1500
    assert payload["title"] == "short"
    assert payload["type"] == "x" * 40 and payload["url"].endswith("p" * 200)
    assert payload["body"].endswith("…") and payload["items"][0]["text"].endswith("…")


def test_shrink_reports_when_structure_alone_is_too_big() -> None:
    payload = {"items": [{"text": "abcdefghij"} for _ in range(100)]}
    assert not limits.shrink(payload, 100, lambda p: len(json.dumps(p)))


def test_chars_exact_boundary_and_minimal_cut() -> None:
    assert limits.chars("abcde", 5) == "abcde"
    assert limits.chars("abcdef", 5) == "abcd…"
    assert len(limits.chars("x" * 100, 10)) == 10
    assert limits.chars("abc", 0) == "…"


def test_utf8_bytes_exact_boundary_and_minimal_cut() -> None:
    assert limits.utf8_bytes("a" * 10, 10) == "a" * 10
    cut = limits.utf8_bytes("a" * 11, 10)
    assert cut == "a" * 7 + "…" and len(cut.encode()) == 10  # … is 3 bytes in UTF-8
    # a three-byte character that would straddle the limit is dropped whole
    assert limits.utf8_bytes("长" * 4, 10) == "长" * 2 + "…"


def test_shrink_cuts_no_more_than_needed() -> None:
    payload = {"a": "x" * 100, "b": "y" * 100}
    size = lambda p: len(p["a"]) + len(p["b"])  # noqa: E731
    assert limits.shrink(payload, 150, size)
    assert size(payload) == 150  # exactly at the limit, not below
    assert len(payload["a"]) == len(payload["b"]) == 75


def test_shrink_exactly_at_the_limit_changes_nothing() -> None:
    payload = {"a": "x" * 50}
    assert limits.shrink(payload, 50, lambda p: len(p["a"]))
    assert payload == {"a": "x" * 50}


def test_cap_floor_is_eight() -> None:
    assert limits._cap([20, 20], 16) == 8
    assert limits._cap([20, 20], 15) is None
    assert limits._cap([20, 5], 17) == 12


def test_utf8_bytes_below_the_mark_keeps_no_text() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down what utf8_bytes keeps when the
    limit is below the mark's own size."""
    assert limits.utf8_bytes("abcdef", 2) == "…"


def test_shrink_one_character_over() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that shrink cuts a payload one
    character over its limit."""
    payload = {"a": "x" * 51}
    assert limits.shrink(payload, 50, lambda p: len(p["a"]))
    assert len(payload["a"]) == 50


def test_cap_matches_a_brute_force_search() -> None:
    """Found by mutation testing (mutmut 3): _cap's search was only pinned at a few points;
    here it matches a brute-force search."""
    assert limits._cap([], 0) == 8
    for lengths in itertools.product((3, 9, 20, 41), repeat=3):
        for target in range(0, sum(lengths) + 2, 3):
            fits = [
                n
                for n in range(8, max(*lengths, 8) + 1)
                if sum(min(x, n) for x in lengths) <= target
            ]
            expected = max(fits) if fits else None
            if sum(min(x, 8) for x in lengths) > target:
                expected = None
            assert limits._cap(list(lengths), target) == expected, (lengths, target)


def test_shrink_leaves_numbers_and_booleans_alone() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that shrink leaves numbers and
    booleans alone."""
    payload = {"count": 3, "ok": True, "text": "y" * 100}
    assert limits.shrink(payload, 60, lambda p: len(str(p)))
    assert payload["count"] == 3 and payload["ok"] is True
    assert len(str(payload)) <= 60


def _one_field(payload: dict[str, Any]) -> int:
    # A limit on one field while every text may be cut: each round closes half the gap,
    # so a gap of 20 takes all five rounds and ends exactly at the limit.
    return len(payload["text"])


def test_shrink_reports_a_fit_reached_exactly_on_its_last_round() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that shrink reports success
    when the payload fits exactly, also on its last round."""
    payload = {"text": "t" * 120, "detail": "d" * 120}
    assert limits.shrink(payload, 100, _one_field)
    assert len(payload["text"]) == 100
    assert payload["text"].endswith(limits.MARK)
