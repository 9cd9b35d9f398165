from __future__ import annotations

from cibridge.context.payload import Payload, parse_number


def test_reads_fields_and_notes_wrong_shapes() -> None:
    notes: list[str] = []
    data = Payload(
        {"a": {"b": "x", "n": "12", "bad": True}, "list": [{"k": 1}, "s"]}, "body", notes
    )
    assert data.text("a", "b") == "x"
    assert data.integer("a", "n") == 12
    assert data.integer("a", "bad") == 0
    assert data.text("a", "missing") == "" and notes == [
        "body: `a.bad` is bool, not a number; ignored"
    ]
    assert [item.integer("k") for item in data.objects("list")] == [1]
    assert notes[-1] == "body: `list[1]` is str, not an object; ignored"
    assert data.text("a", "b", "c") == ""
    assert notes[-1] == "body: `a.b` is str, not an object; ignored"


def test_parse_number() -> None:
    notes: list[str] = []
    assert parse_number("42", "X", notes) == 42 and notes == []
    assert parse_number("4 2", "X", notes) == 0 and notes == ["X='4 2' is not a number; ignored"]
