"""An HTTP answer that is not a success, said the same way for every peer.

Any status outside 2xx is a refusal, whatever the body says (an ``errcode: 0`` or a
``"status": "success"`` under a 403 is a proxy's page or a lie). A redirect that reaches a
caller was not followed (the transport follows a read's redirects itself and never a
write's), so it is a refusal too, named with where it pointed. The message says what was
refused, the status, and a short excerpt of the answer: redacted, one line, no control
characters. A refusal is a failure (exit 1): the request was fine to send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError, failure
from cibridge.core.untrusted import EXCERPT, excerpt

if TYPE_CHECKING:
    from cibridge.http.transport import Response


def is_redirect(response: Response) -> bool:
    return 300 <= response.status < 400


def refusal(
    response: Response,
    what: str,
    *,
    hint: str = "",
    detail: str | None = None,
    limit: int = EXCERPT,
) -> CibridgeError | None:
    """None for a 2xx answer; otherwise the error saying that ``what`` was refused:
    ``{what}: answered 307 redirect to https://other.example (...)`` or
    ``{what}: HTTP 422: {detail}``, ``detail`` (the peer's own message, when the caller can
    pick it out of the body) defaulting to an excerpt of the body."""
    if response.ok:
        return None
    if is_redirect(response):
        return failure(f"{what}: {response.redirect_note()}", hint=hint)
    shown = response.excerpt(limit) if detail is None else excerpt(detail, limit)
    return failure(f"{what}: HTTP {response.status}" + (f": {shown}" if shown else ""), hint=hint)


def raise_for_refusal(
    response: Response,
    what: str,
    *,
    hint: str = "",
    detail: str | None = None,
    limit: int = EXCERPT,
) -> None:
    refused = refusal(response, what, hint=hint, detail=detail, limit=limit)
    if refused is not None:
        raise refused
