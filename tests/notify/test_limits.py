from __future__ import annotations

import json

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
