"""Fernet-encrypted configuration values (``enc:`` prefix) and key rotation.

``CIBRIDGE_KEY`` holds one or more comma-separated Fernet keys: the first encrypts, all of
them decrypt, so a key can be rotated by prepending the new one. The keys come from the
environment mapping the entry point read once, never from ``os.environ``, so a test or the
demo decides exactly which keys exist. ``cryptography`` is imported here only (through
on_demand, which installs it on demand where the action runs from its bundle), so commands
that never meet an ``enc:`` value do not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cibridge.core import redact
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

PREFIX = "enc:"
KEY_ENV = "CIBRIDGE_KEY"
_KEYGEN_HINT = "create one with `cibridge secret keygen`"


class MissingKey(CibridgeError):
    """No key at all: ``config check`` reports it as a warning, since the CI may have one."""


def configured(env: Mapping[str, str]) -> bool:
    return bool(_split(env))


def _split(env: Mapping[str, str]) -> list[str]:
    return [key.strip() for key in env.get(KEY_ENV, "").split(",") if key.strip()]


def _keys(env: Mapping[str, str], where: str) -> list[str]:
    keys = _split(env)
    for key in keys:
        redact.register(key)
    if not keys:
        place = f"{where}: " if where else ""
        raise MissingKey(
            f"{place}{KEY_ENV} is not set",
            hint=f"export {KEY_ENV} from your CI secret store ({_KEYGEN_HINT})",
        )
    return keys


def _fernet(env: Mapping[str, str], where: str = "") -> MultiFernet:
    from cibridge.config import on_demand

    on_demand.require_fernet()
    from cryptography.fernet import Fernet, MultiFernet

    fernets = []
    for position, key in enumerate(_keys(env, where), start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise CibridgeError(
                f"{KEY_ENV} key #{position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)",
                hint=f"replace it; {_KEYGEN_HINT}",
            ) from None
    return MultiFernet(fernets)


def keygen() -> str:
    from cibridge.config import on_demand

    on_demand.require_fernet()
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def encrypt(plaintext: str, env: Mapping[str, str]) -> str:
    return PREFIX + _fernet(env).encrypt(plaintext.encode()).decode()


def decrypt(token: str, where: str, env: Mapping[str, str]) -> str:
    """The plaintext of an ``enc:`` token, registered with the redactor before it is
    returned: whoever asked for it may print it by mistake."""
    from cibridge.config import on_demand

    on_demand.require_fernet()
    from cryptography.fernet import InvalidToken

    body = token[len(PREFIX) :] if token.startswith(PREFIX) else token
    fernet = _fernet(env, where)
    try:
        plaintext = fernet.decrypt(body.strip().encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise CibridgeError(
            f"{where}: cannot decrypt the enc: value with any key in {KEY_ENV}",
            hint="the value was encrypted with another key, or was cut when pasted; "
            f"add the old key after the new one in {KEY_ENV} (comma-separated), or encrypt "
            "it again with `cibridge secret encrypt`",
        ) from None
    redact.register(plaintext)
    return plaintext
