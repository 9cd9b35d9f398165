"""HMAC-SHA256 payload signatures in the ``sha256=<hex>`` form of ``X-Hub-Signature``."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(payload: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify(payload: bytes, secret: str, signature: str) -> bool:
    """True when ``signature`` (``sha256=<hex>`` or bare hex) matches; constant time."""
    given = signature.strip()
    if not given.startswith(PREFIX):
        given = PREFIX + given
    return hmac.compare_digest(sign(payload, secret).encode(), given.lower().encode())
