"""Secrets named by ``*_ref`` keys: an environment variable, or a file in
``$CIBRIDGE_SECRETS_DIR`` (as Kubernetes and Docker mount them), read safely: by plain
name only, never through a symlink out of the folder, never from a FIFO, at most 64 KiB.
Every value found is registered with the redactor before anyone can print it."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cibridge.config import encryption
from cibridge.core import redact
from cibridge.core.errors import CibridgeError

SECRETS_DIR_ENV = "CIBRIDGE_SECRETS_DIR"
MAX_SECRET_BYTES = 64 * 1024


class NotSet(CibridgeError):
    """A ``${VAR}`` or secret that is not set: an error where it is used, a warning in
    ``config check`` (the CI that runs the command may well have it)."""


def env_name(secret_name: str) -> str:
    return secret_name.upper().replace("-", "_").replace(".", "_")


def lookup_secret(name: str, where: str, env: Mapping[str, str], *, required: bool) -> str | None:
    """A secret named ``name`` from ``env`` or the file ``$CIBRIDGE_SECRETS_DIR/name``;
    registered with the redactor before anyone can print it."""
    _check_secret_name(name, where)
    variable = env_name(name)
    value = env.get(variable) or _secret_file(name, where, env)
    if value and value.startswith(encryption.PREFIX):
        value = encryption.decrypt(value, where, env)
    if not value:
        if not required:
            return None
        raise NotSet(
            f"{where}: secret {name!r} is not set",
            hint=f"set the environment variable {variable} or the file ${SECRETS_DIR_ENV}/{name} "
            "(from your CI's secret store)",
        )
    redact.register(value)
    return value


def _outside(name: str, where: str) -> CibridgeError:
    return CibridgeError(
        f"{where}: secret {name!r} must be a name inside {SECRETS_DIR_ENV}",
        hint="write the secret's file name (e.g. slack-webhook-url), not a path; a symlink "
        f"there must point inside {SECRETS_DIR_ENV}",
    )


def _check_secret_name(name: str, where: str) -> None:
    if not name or name in (".", "..") or any(char in name for char in "/\\\0"):
        raise _outside(name, where)


def _secret_file(name: str, where: str, env: Mapping[str, str]) -> str | None:
    directory = env.get(SECRETS_DIR_ENV)
    if not directory:
        return None
    candidate = Path(directory, name)
    if not os.path.lexists(candidate):
        return None
    # Real paths on both sides: a symlink may point elsewhere in the folder (Kubernetes
    # mounts secrets as links into a ..data directory) but never out of it.
    # realpath, not resolve(): a symlink loop must read as "not set", not raise.
    real = Path(os.path.realpath(candidate))
    if not real.is_relative_to(os.path.realpath(directory)):
        raise _outside(name, where)
    return _read_secret(real, name, where) if real.exists() else None


def _read_secret(path: Path, name: str, where: str) -> str:
    place = f"{where}: secret file {SECRETS_DIR_ENV}/{name}"
    try:
        data = _read_regular_file(path, MAX_SECRET_BYTES + 1)
    except OSError as error:
        raise CibridgeError(
            f"{place} cannot be read: {error.strerror}", hint="check its permissions"
        ) from None
    if data is None:
        raise CibridgeError(f"{place} is not a regular file", hint="store the secret as a file")
    if len(data) > MAX_SECRET_BYTES:
        raise CibridgeError(f"{place} is larger than 64 KiB", hint="a secret file holds one value")
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise CibridgeError(f"{place} is not UTF-8 text", hint="store the value as text") from None


def _read_regular_file(path: Path, limit: int) -> bytes | None:
    """Up to ``limit`` bytes, or None when ``path`` is not a regular file. Opened without
    blocking, so a FIFO planted there cannot hang the run."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit)
