"""Compiled templates kept between runs (a warm runner skips compiling), where that is safe.

Loading a cache file runs pickle on its bytes, and a self-hosted runner's tool cache is
shared by every job on it: a file planted there would run code with this job's secrets in
the environment. So the cache is used only from a folder this user owns that nobody else
can write to, and only files this user wrote are loaded; otherwise templates compile each run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import jinja2

from cibridge.core import log
from cibridge.render.limits import GENERATOR


def bytecode_cache(root: Path | None) -> jinja2.BytecodeCache | None:
    """A cache under ``root`` (cibridge's cache folder), or None where it would not be safe."""
    if root is None or not hasattr(os, "getuid"):
        return None
    directory = root / f"jinja-{jinja2.__version__}-{GENERATOR}"
    for path in (root, directory):
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            problem = _why_unsafe(os.stat(path), stat.S_ISDIR, "directory")
        except OSError as error:
            problem = error.strerror or str(error)
        if problem:
            log.debug(f"template cache not used: {path} is {problem}")
            return None
    return _OwnFilesBytecodeCache(str(directory))


class _OwnFilesBytecodeCache(jinja2.FileSystemBytecodeCache):
    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        filename = self._get_cache_filename(bucket)
        try:
            handle = open(filename, "rb")  # noqa: SIM115 - closed below, after the checks
        except OSError:
            return
        with handle:
            # Checked on the open file, so it cannot be swapped between the check and the read.
            if _why_unsafe(os.fstat(handle.fileno()), stat.S_ISREG, "regular file"):
                log.debug(f"template cache: ignoring {filename} (not written by this user)")
                return
            bucket.load_bytecode(handle)


def _why_unsafe(info: os.stat_result, is_kind: Callable[[int], bool], kind: str) -> str:
    """Why a cache file or folder could hold what someone else wrote, or "" if it cannot."""
    if not is_kind(info.st_mode):
        return f"not a {kind}"
    if info.st_uid != os.getuid():
        return f"owned by uid {info.st_uid}, not {os.getuid()}"
    if info.st_mode & 0o022:
        return f"writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return ""
