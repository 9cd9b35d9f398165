"""The ``X-Hub-Signature`` check of a Jira webhook body, done before anything else.

A run with ``--secret-env`` refuses a body that is unsigned or signed with another secret
(exit 1) before it reads Jira or starts anything; the comparison is constant-time
(:func:`cibridge.core.signing.verify`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cibridge.core import redact, signing
from cibridge.core.errors import CibridgeError, failure


def check(body: bytes | None, signature: str, secret_env: str, env: Mapping[str, str]) -> bool:
    """True when a signature was required and matched; False when none was asked for."""
    if not signature and not secret_env:
        return False
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
