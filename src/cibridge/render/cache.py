"""Compiled templates kept between runs (a warm runner skips compiling), where that is safe.

Loading a cache file runs pickle on its bytes, and a self-hosted runner's tool cache is
shared by every job on it: a file planted there would run code with this job's secrets in
the environment. So the cache is used only from a folder this user owns that nobody else
can write to, and only files this user wrote are loaded; otherwise templates compile each run.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import jinja2

from cibridge.core import log
from cibridge.core.private import private_folder, why_unsafe
from cibridge.render.limits import GENERATOR


def bytecode_cache(root: Path | None) -> jinja2.BytecodeCache | None:
    """A cache under ``root`` (cibridge's cache folder), or None where it would not be safe."""
    if root is None:
        return None
    directory = root / f"jinja-{jinja2.__version__}-{GENERATOR}"
    for path in (root, directory):
        problem = private_folder(path)
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
            if why_unsafe(os.fstat(handle.fileno()), stat.S_ISREG, "regular file"):
                log.debug(f"template cache: ignoring {filename} (not written by this user)")
                return
            bucket.load_bytecode(handle)
