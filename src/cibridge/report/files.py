"""Report files a command writes where the user asked (--report, --junit, --output)."""

from __future__ import annotations

from pathlib import Path

from cibridge.core.errors import CibridgeError


def write(path: str, text: str, option: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CibridgeError(
            f"{option} {path}: cannot write it: {error.strerror or error}",
            hint="pass a writable path",
        ) from None
