"""Whether a cached file or folder could hold what someone else wrote.

A self-hosted runner's tool cache is shared by every job on it. Anything cibridge loads
from there (compiled templates, an installed package) would run with this job's secrets,
so it is used only when this user owns it and nobody else can write to it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path


def why_unsafe(info: os.stat_result, is_kind: Callable[[int], bool], kind: str) -> str:
    """Why a cache file or folder could hold what someone else wrote, or "" if it cannot."""
    if not is_kind(info.st_mode):
        return f"not a {kind}"
    if info.st_uid != os.getuid():
        return f"owned by uid {info.st_uid}, not {os.getuid()}"
    if info.st_mode & 0o022:
        return f"writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return ""


def private_folder(path: Path) -> str:
    """``path`` created 0700 if missing; "" when it is this user's alone, else why not."""
    if not hasattr(os, "getuid"):
        return "file ownership cannot be checked on this platform"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # lstat: a link is refused, since whoever owns it can point it elsewhere later.
        return why_unsafe(os.lstat(path), stat.S_ISDIR, "directory")
    except OSError as error:
        return error.strerror or str(error)
