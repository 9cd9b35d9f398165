"""Verbose diagnostics on stderr, redacted like everything else."""

from __future__ import annotations

import sys

from cibridge.core import redact

_verbose = False


def set_verbose(enabled: bool) -> None:
    global _verbose
    _verbose = enabled


def verbose() -> bool:
    return _verbose


def debug(message: str) -> None:
    if _verbose:
        sys.stderr.write(redact.redact(f"debug: {message}") + "\n")
