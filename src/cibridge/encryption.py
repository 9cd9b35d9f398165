"""Fernet-encrypted configuration values (``enc:`` prefix) and key rotation.

``CIBRIDGE_KEY`` holds one or more comma-separated Fernet keys: the first encrypts, all of
them decrypt, so a key can be rotated by prepending the new one. ``cryptography`` is
imported here only, so commands that never meet an ``enc:`` value do not pay for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cibridge import redact
from cibridge.errors import CibridgeError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

PREFIX = "enc:"
KEY_ENV = "CIBRIDGE_KEY"


def _keys() -> list[str]:
    raw = os.environ.get(KEY_ENV, "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        redact.register(key)
    if not keys:
        raise CibridgeError(
            f"{KEY_ENV} is not set",
            hint=f"export {KEY_ENV} from your CI secret store "
            "(create one with `cibridge secret keygen`)",
        )
    return keys


def _fernet() -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    fernets = []
    for position, key in enumerate(_keys(), start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise CibridgeError(
                f"{KEY_ENV} key #{position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)",
                hint="generate one with `cibridge secret keygen`",
            ) from None
    return MultiFernet(fernets)


def keygen() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def encrypt(plaintext: str) -> str:
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str, where: str = "value") -> str:
    from cryptography.fernet import InvalidToken

    body = token[len(PREFIX) :] if token.startswith(PREFIX) else token
    try:
        plaintext = _fernet().decrypt(body.strip().encode()).decode()
    except InvalidToken:
        raise CibridgeError(
            f"{where}: cannot decrypt the enc: value with any key in {KEY_ENV}",
            hint="the value was encrypted with another key, or was cut when pasted; "
            f"add the old key after the new one in {KEY_ENV} (comma-separated)",
        ) from None
    redact.register(plaintext)
    return plaintext
