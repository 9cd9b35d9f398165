"""Reads fields of untrusted JSON (an event payload, a webhook body) by path.

A field of the wrong shape becomes a note naming it and a neutral value, never a crash:
a payload is data someone else wrote.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class Payload:
    def __init__(
        self, data: Any, source: str, notes: list[str], prefix: tuple[str, ...] = ()
    ) -> None:
        self.data = data
        self.source = source
        self.notes = notes
        self.prefix = prefix  # where ``data`` sits in the whole document, for notes

    def _get(self, path: tuple[str, ...]) -> Any:
        node = self.data
        for index, key in enumerate(path):
            if node is None:
                return _MISSING
            if not isinstance(node, dict):
                self._wrong(path[:index], "an object", node)
                return _MISSING
            node = node.get(key, _MISSING)
            if node is _MISSING:
                return _MISSING
        return node

    def _wrong(self, path: tuple[str, ...], wanted: str, found: Any) -> None:
        field = ".".join((*self.prefix, *path)).replace(".[", "[") or "(top level)"
        self.notes.append(
            f"{self.source}: `{field}` is {type(found).__name__}, not {wanted}; ignored"
        )

    def mapping(self, *path: str) -> Payload:
        value = self._get(path)
        if value is not _MISSING and value is not None and not isinstance(value, dict):
            self._wrong(path, "an object", value)
        found = value if isinstance(value, dict) else {}
        return Payload(found, self.source, self.notes, (*self.prefix, *path))

    def present(self, *path: str) -> bool:
        value = self._get(path)
        return value is not _MISSING and value is not None

    def text(self, *path: str) -> str:
        value = self._get(path)
        if value is _MISSING or value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self._wrong(path, "a string", value)
        return ""

    def integer(self, *path: str) -> int:
        value = self._get(path)
        if value is _MISSING or value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdecimal():
            return int(value)
        self._wrong(path, "a number", value)
        return 0

    def objects(self, *path: str) -> list[Payload]:
        """A list of objects; entries of another shape are left out, with a note."""
        value = self._get(path)
        if value is _MISSING or value is None:
            return []
        if not isinstance(value, list):
            self._wrong(path, "a list", value)
            return []
        found = []
        for index, item in enumerate(value):
            where = (*path[:-1], f"{path[-1]}[{index}]")
            if isinstance(item, dict):
                found.append(Payload(item, self.source, self.notes, (*self.prefix, *where)))
            else:
                self._wrong(where, "an object", item)
        return found


def parse_number(value: str, source: str, notes: list[str]) -> int:
    """A decimal id from an environment variable, or 0 with a note."""
    if value.strip().isdecimal():
        return int(value)
    notes.append(f"{source}={value[:40]!r} is not a number; ignored")
    return 0
