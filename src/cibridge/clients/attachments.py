"""The local files a command hands to a chat service: read from inside the workspace,
size-checked before anything is sent, and masked of secrets when they are text.

A file is *text* when it decodes as UTF-8 and holds no NUL byte; every registered secret
(and secret-looking URL part) in it is replaced by ``***`` before it leaves, and the length
announced to the service is that of the masked bytes. Any other file goes as it is, which
cannot hide a secret inside it: such a file is refused when a registered secret appears in
its bytes verbatim. A path must stay inside the workspace once symlinks are followed, so a
checked-in link cannot send the runner's own files (a credentials file, another job's
token) to a chat channel.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a CI artefact worth reading in a thread, not a build
SLACK_MAX_BYTES = 1024**3  # Slack's own limit on one file
CAP_SETTING = "notify.attach_max_bytes"


@dataclass(frozen=True)
class Attachment:
    path: str  # as given, for messages
    name: str  # the file name the service shows
    data: bytes  # what leaves: masked when text
    text: bool
    masked: bool  # a secret was replaced in it

    @property
    def length(self) -> int:
        return len(self.data)


def _problem(path: str, what: str, hint: str) -> CibridgeError:
    return CibridgeError(f"--attach {excerpt(path, 200)}: {what}", hint=hint)


def load(path: str, workspace: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    """The file at ``path`` (relative to ``workspace``) as it would be sent; CibridgeError
    (exit 2) for a path that is missing, unreadable, a directory, not a regular file, empty,
    over ``max_bytes``, leading out of the workspace, or binary with a secret in it."""
    if not path.strip():
        raise _problem(path, "the path is empty", "pass a file path, e.g. --attach report.json")
    given = Path(path)
    where = given if given.is_absolute() else workspace / given
    root = workspace.resolve()
    try:
        real = where.resolve(strict=True)
    except FileNotFoundError:
        raise _problem(
            path, "no such file", f"check the path (relative to {root}) and that it was written"
        ) from None
    except (OSError, RuntimeError) as error:  # a symlink loop raises RuntimeError on 3.10-3.12
        raise _problem(path, f"cannot be resolved: {error}", "fix the path or the link") from None
    if not real.is_relative_to(root):
        # Resolved somewhere its plain spelling does not name: a symlink on the way.
        linked = Path(os.path.normpath(where.absolute())) != real
        what = (
            "is a symlink to a place outside the workspace"
            if linked
            else "is outside the workspace"
        )
        raise _problem(
            path,
            what,
            f"attach files under {root} (the working directory); copy the file there first",
        )
    # The name is shown in the channel too: a secret in it is masked like one in the text.
    return _read(path, redact.redact(given.name or real.name), real, max_bytes)


def _read(path: str, name: str, real: Path, max_bytes: int) -> Attachment:
    try:
        # O_NONBLOCK: a FIFO put where the file should be must not hang the step on open.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise _problem(
            path, f"cannot be read: {error.strerror or error}", "check its permissions"
        ) from None
    info = os.fstat(fd)  # of what was opened, not of what the name pointed to before
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _problem(path, "is a directory", "attach files one by one (repeat --attach)")
        raise _problem(path, "is not a regular file", "attach a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise _problem(
                path,
                f"is {info.st_size} bytes, over the cap of {max_bytes} ({CAP_SETTING})",
                f"attach a smaller file, or raise {CAP_SETTING} in the config (Slack's own "
                f"limit is {SLACK_MAX_BYTES} bytes)",
            )
        raw = handle.read(max_bytes + 1)  # the file may have grown since fstat
    if len(raw) > max_bytes:
        raise _problem(
            path, f"grew over the cap of {max_bytes} bytes while read", "attach it once written"
        )
    if not raw:
        raise _problem(path, "is empty (Slack refuses a length of 0)", "attach a file with content")
    return _masked(path, name, raw)


def _masked(path: str, name: str, raw: bytes) -> Attachment:
    text: str | None
    try:
        text = raw.decode("utf-8") if b"\x00" not in raw else None
    except UnicodeDecodeError:
        text = None
    if text is not None:
        clean = redact.redact(text)
        return Attachment(path, name, clean.encode("utf-8"), True, clean != text)
    # latin-1 maps each byte to one character, so an ASCII secret matches in place.
    as_chars = raw.decode("latin-1")
    if redact.redact(as_chars) != as_chars:
        raise _problem(
            path,
            "is not text and contains a secret, which cannot be masked in a binary file",
            "leave the secret out of the file, or attach a text version of it",
        )
    return Attachment(path, name, raw, False, False)
