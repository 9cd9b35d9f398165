"""The ``X-Hub-Signature`` check of a Jira webhook body, done before anything else.

A run with ``--secret-env`` refuses a body that is unsigned or signed with another secret
(exit 1) before it reads Jira or starts anything; the comparison is constant-time
(:func:`cibridge.core.signing.verify`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cibridge.core import redact, signing
from cibridge.core.errors import CibridgeError, failure


def check(
    body: bytes | None,
    signature: str,
    secret_env: str,
    env: Mapping[str, str],
    authorization: str = "",
) -> bool:
    """True when a signature (or the delivery's basic authentication) was required and
    matched; False when none was asked for."""
    if not signature and not secret_env and not authorization:
        return False
    if authorization:
        return _basic(body, authorization, signature, secret_env, env)
    if not secret_env:
        raise CibridgeError(
            "--signature needs --secret-env NAME (the variable holding the webhook secret)",
            hint='e.g. --signature "$SIGNATURE" --secret-env JIRA_WEBHOOK_SECRET',
        )
    if body is None:
        raise CibridgeError(
            "--signature / --secret-env verify the body of --event-file; none was given",
            hint="pass --event-file with the exact bytes Jira sent",
        )
    secret = env.get(secret_env, "")
    if not secret.strip():  # blanks are as guessable as nothing
        raise CibridgeError(
            f"--secret-env {secret_env}: the variable is not set or empty",
            hint=f"set {secret_env} from the CI's secret store (the secret of the Jira webhook)",
        )
    redact.register(secret)
    if not signature.strip():
        raise failure(
            "the webhook body is not signed (no --signature): refused, nothing was read or started",
            hint="pass the X-Hub-Signature header Jira sent, or drop --secret-env",
        )
    if not signing.verify(body, secret, signature):
        raise failure(
            "the webhook signature does not match the body: refused, nothing was read or started",
            hint=f"check that {secret_env} holds the webhook's secret and that the body "
            "was passed byte for byte",
        )
    return True


def _basic(
    body: bytes | None, authorization: str, signature: str, secret_env: str, env: Mapping[str, str]
) -> bool:
    """An Azure DevOps Service Hook sends no signature; its Web Hooks consumer can send
    basic authentication (a user name and password) with each delivery. ``--authorization``
    is the Authorization header the delivery carried, ``--secret-env`` names the variable
    holding ``user:password``; compared in constant time."""
    import base64
    import binascii
    import hmac

    if signature:
        raise CibridgeError("--authorization and --signature check the same delivery: pass one")
    if not secret_env:
        raise CibridgeError(
            "--authorization needs --secret-env NAME (the variable holding user:password)",
            hint='e.g. --authorization "$AUTHORIZATION" --secret-env BOARDS_HOOK_CREDENTIALS',
        )
    if body is None:
        raise CibridgeError(
            "--authorization checks who sent the body of --event-file; none was given",
            hint="pass --event-file with the body the Service Hook sent",
        )
    expected = env.get(secret_env, "")
    if ":" not in expected or not expected.split(":", 1)[1].strip():
        raise CibridgeError(
            f"--secret-env {secret_env}: the variable does not hold user:password",
            hint=f"set {secret_env} to the Service Hook's basic authentication, user:password",
        )
    redact.register(expected)
    redact.register(expected.split(":", 1)[1])
    scheme, _, encoded = authorization.strip().partition(" ")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        given = b""
    redact.register(encoded.strip())
    if scheme.lower() != "basic" or not hmac.compare_digest(given, expected.encode()):
        raise failure(
            "the delivery's basic authentication does not match: refused, nothing was started",
            hint=f"check that {secret_env} holds the user:password set on the Service Hook",
        )
    return True
