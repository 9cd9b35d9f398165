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
