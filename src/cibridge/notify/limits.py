"""Fitting a payload into a service's limits before sending, instead of being rejected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MARK = "…"
# Keys whose strings are identifiers or URLs: cutting them would break the message.
_UNCUTTABLE = frozenset(
    "type url actionURL style color msgtype msg_type tag contentType version $schema action_id "
    "block_id timestamp sign channel thread_ts ts template singleURL messageURL picURL "
    "image_url href atMobiles atUserIds mentioned_list mentioned_mobile_list "
    # Mattermost's attachment links and icons
    "title_link icon_url author_link author_icon thumb_url footer_icon".split()
)


def chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(MARK))] + MARK


def utf8_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    room = max(0, limit - len(MARK.encode()))
    return data[:room].decode("utf-8", "ignore") + MARK


def _strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            if key in _UNCUTTABLE and isinstance(value, str):
                continue
            found.extend(_strings(value, (*path, key)))
        return found
    if isinstance(node, list):
        return [
            item for index, value in enumerate(node) for item in _strings(value, (*path, index))
        ]
    return [(path, node)] if isinstance(node, str) else []


def text_size(payload: Any) -> int:
    """The characters of the texts :func:`shrink` may cut (a service counting text, not JSON)."""
    return sum(len(text) for _, text in _strings(payload))


def _set(node: Any, path: tuple[Any, ...], value: str) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def shrink(payload: Any, limit: int, size: Callable[[Any], int]) -> bool:
    """Cut the longest texts in ``payload`` to one common length so ``size(payload) <= limit``.

    Short texts are left whole and long ones lose their tails first, which keeps titles and
    labels intact while a long commit list gives way. False when even 8-character texts
    cannot fit (the structure itself is too big).
    """
    for _ in range(5):  # JSON escaping makes size() a little larger than the text length
        over = size(payload) - limit
        if over <= 0:
            return True
        texts = _strings(payload)
        lengths = sorted((len(text) for _, text in texts), reverse=True)
        total = sum(lengths)
        target = total - over
        cap = _cap(lengths, target)
        if cap is None:
            return False
        for path, text in texts:
            if len(text) > cap:
                _set(payload, path, chars(text, cap))
    return size(payload) <= limit


def _cap(lengths: list[int], target: int) -> int | None:
    """The largest length L with sum(min(n, L)) <= target, or None if below 8."""
    low, high = 8, max(lengths, default=0)
    if sum(min(n, low) for n in lengths) > target:
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(n, middle) for n in lengths) <= target:
            low = middle
        else:
            high = middle - 1
    return low
