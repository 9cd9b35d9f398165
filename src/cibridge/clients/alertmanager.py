"""Alertmanager silences for the deploy window (API v2), so the gate's own rollout does not
page anyone while it is being judged.

``POST /api/v2/silences`` creates one and answers ``{"silenceID": ...}``; ``DELETE
/api/v2/silence/{id}`` expires it. A silence always carries an ``endsAt``: if cibridge is
killed before it can expire it, the silence still ends by itself. :func:`silenced` creates a
silence and expires it when the block ends, also when the block fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from cibridge.core import isotime, log
from cibridge.core.errors import CibridgeError, failure
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

WHAT = "Alertmanager"
# Alertmanager's label names: the classic charset (it refuses others in a matcher).
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def silence_body(
    matchers: Mapping[str, str],
    *,
    starts_at: float,
    ends_at: float,
    comment: str,
    created_by: str,
) -> dict[str, object]:
    """The JSON Alertmanager expects; every matcher is an exact equality match."""
    if not matchers:
        raise CibridgeError(
            "Alertmanager silence: no matchers, which would silence every alert",
            hint="match the service, e.g. service=checkout",
        )
    for name, value in matchers.items():
        if not _LABEL_NAME.fullmatch(name):
            raise CibridgeError(
                f"Alertmanager silence: {name!r} is not a label name",
                hint="use letters, digits and _ (not starting with a digit)",
            )
        if value == "":
            raise CibridgeError(
                f"Alertmanager silence: the matcher {name} has an empty value",
                hint=f"give {name} a value; Alertmanager refuses matchers that match anything",
            )
    if ends_at <= starts_at:
        raise CibridgeError(
            "Alertmanager silence: it would end before it starts",
            hint="give the silence a positive duration",
        )
    return {
        "matchers": [
            {"name": name, "value": value, "isRegex": False, "isEqual": True}
            for name, value in matchers.items()
        ],
        "startsAt": isotime.text(starts_at, milliseconds=True),
        "endsAt": isotime.text(ends_at, milliseconds=True),
        "createdBy": created_by or "cibridge",
        "comment": comment or "deployment gate",
    }


# Alertmanager answers errors as a JSON string or plain text, so the body excerpt that a
# refusal shows is its own words.
_REFUSED_HINT = "check the Alertmanager URL (its API is under /api/v2) and its credentials"


def create_silence(
    transport: Transport,
    base_url: str,
    matchers: Mapping[str, str],
    *,
    duration: float | None = None,
    ends_at: float | None = None,
    comment: str = "",
    created_by: str = "cibridge",
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
    now: float | None = None,
) -> str:
    """Create a silence from now until ``ends_at`` (or for ``duration`` seconds); its id."""
    starts_at = time.time() if now is None else now
    if ends_at is None:
        if duration is None:
            raise CibridgeError("Alertmanager silence: give a duration or an end time")
        ends_at = starts_at + duration
    body = silence_body(
        matchers, starts_at=starts_at, ends_at=ends_at, comment=comment, created_by=created_by
    )
    response = transport.request(
        "POST",
        f"{base_url.rstrip('/')}/api/v2/silences",
        json=body,
        headers=headers,
        auth=auth,
        what=WHAT,
    )
    raise_for_refusal(response, f"{WHAT}: creating a silence", hint=_REFUSED_HINT)
    answer = response.json()
    silence_id = answer.get("silenceID") if isinstance(answer, dict) else None
    if not isinstance(silence_id, str) or not silence_id:
        raise failure(
            f"{WHAT}: the answer to creating a silence has no silenceID: {response.excerpt(200)}",
            hint="check the URL points at Alertmanager (API v2), not a proxy or login page",
        )
    log.debug(f"{WHAT}: silence {silence_id} until {body['endsAt']}")
    return silence_id


def expire_silence(
    transport: Transport,
    base_url: str,
    silence_id: str,
    *,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Expire the silence now (Alertmanager keeps it, expired, for its retention time)."""
    response = transport.request(
        "DELETE",
        f"{base_url.rstrip('/')}/api/v2/silence/{quote(silence_id, safe='')}",
        headers=headers,
        auth=auth,
        what=WHAT,
    )
    raise_for_refusal(response, f"{WHAT}: expiring silence {silence_id}", hint=_REFUSED_HINT)


@dataclass
class Silence:
    """A silence held by :func:`silenced`; ``expire_error`` says why expiring it failed."""

    id: str
    ends_at: float
    expired: bool = False
    expire_error: CibridgeError | None = None


@contextmanager
def silenced(
    transport: Transport,
    base_url: str,
    matchers: Mapping[str, str],
    *,
    duration: float,
    comment: str = "",
    created_by: str = "cibridge",
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[Silence]:
    """A silence for the block: created before it, expired after it whatever happens.

    Failing to create it raises (nothing ran yet). Failing to expire it never hides the
    block's outcome or exception: the error is kept on the yielded :class:`Silence`, and the
    silence ends by itself after ``duration`` anyway.
    """
    now = time.time()
    silence = Silence(
        create_silence(
            transport,
            base_url,
            matchers,
            ends_at=now + duration,
            comment=comment,
            created_by=created_by,
            auth=auth,
            headers=headers,
            now=now,
        ),
        now + duration,
    )
    try:
        yield silence
    finally:
        try:
            expire_silence(transport, base_url, silence.id, auth=auth, headers=headers)
            silence.expired = True
        except CibridgeError as error:
            silence.expire_error = error
            log.debug(f"{WHAT}: could not expire silence {silence.id}: {error.message}")
