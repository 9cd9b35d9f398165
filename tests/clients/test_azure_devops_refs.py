"""AB#123 references exactly as Azure Boards reads them."""

from __future__ import annotations

import pytest

from cibridge.clients.azure_devops import refs


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("AB#123 fix the cart", [(123, False)]),
        ("Fixes AB#7", [(7, True)]),
        ("fixed: AB#7 and AB#8", [(7, True), (8, False)]),
        ("FIX AB#9", [(9, True)]),
        ("#123 is a GitHub issue", []),
        ("ab#123 is not a reference", []),
        ("Ab#123 neither", []),
        ("TAB#12 no, x_AB#3 no, AB#12abc no", []),
        ("(AB#5), [AB#6]. AB#7:", [(5, False), (6, False), (7, False)]),
        ("feature/AB#42-login", [(42, False)]),
        ("AB#0 and AB#012 are not ids", []),
        ("AB#2147483647 is the largest, AB#2147483648 is too big", [(2147483647, False)]),
        ("AB#5 again AB#5, then Fixes AB#5", [(5, True)]),
        ("prefix AB# 5", []),
        ("AB#1\r\x1b[31m AB#2", [(1, False), (2, False)]),
    ],
)
def test_references(text: str, found: list[tuple[int, bool]]) -> None:
    assert refs.references(text) == found


def test_discover_collects_sources_and_fixed() -> None:
    found = refs.discover(
        [("commit a", "AB#1 start"), ("commit b", "Fixes AB#1"), ("branch", "AB#2")]
    )
    assert found == {1: (["commit a", "commit b"], True), 2: (["branch"], False)}


@pytest.mark.parametrize(
    ("value", "number"),
    [("123", 123), ("AB#123", 123), (" 7 ", 7), ("ab#1", None), ("0", None), ("x", None),
     ("2147483648", None), ("-1", None)],
)  # fmt: skip
def test_parse_id(value: str, number: int | None) -> None:
    assert refs.parse_id(value) == number
