"""Keeps secrets out of everything cibridge prints, writes or raises.

Every resolved secret is registered here, in every form it can take on the way out
(percent-encoded in a URL, JSON-escaped in a body, one line of a multi-line value); every
line that leaves the process goes through :func:`redact`. Secrets that live inside URLs (a
webhook path, ``access_token=``) are also caught by pattern, so a URL printed before its
secret was registered still comes out clean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cibridge.core.credentials import NAME_PATTERN

MASK = "***"
_MIN_SECRET_LEN = 4

_secrets: set[str] = set()
_listeners: list[Callable[[str], None]] = []
_compiled: re.Pattern[str] | None = None

_URL_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # user:password@host
    (re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"), MASK),
    # Query parameters whose values are credentials (api_token, X-Amz-Signature, sig, ...)
    # Punctuation that ends the value belongs to the prose around the URL (a hint's closing
    # parenthesis, a full stop), not to the value; a value of only "..." is a placeholder.
    (
        re.compile(rf"(?i)(?<=[?&;])({NAME_PATTERN})=[^&\s#\"'<>]*[^&\s#\"'<>).,;:!?\]]"),
        rf"\1={MASK}",
    ),
    # Slack incoming webhooks: /services/T.../B.../secret
    (re.compile(r"(?<=/services/)[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"), MASK),
    # Feishu / Lark bot hooks
    (re.compile(r"(?<=/bot/v2/hook/)[A-Za-z0-9-]+"), MASK),
    # Teams / Power Automate workflow ids
    (re.compile(r"(?i)(?<=/workflows/)[0-9a-f]{16,}"), MASK),
]


def forms(secret: str) -> set[str]:
    """The ways a secret can appear in output: as is, percent-encoded, JSON-escaped, per line."""
    from urllib.parse import quote, quote_plus, unquote

    found = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret), unquote(secret)}
    import json

    found.add(json.dumps(secret)[1:-1])
    # A multi-line secret (a PEM key) can leak one line at a time.
    found.update(line.strip() for line in secret.splitlines())
    return {form for form in found if len(form) >= _MIN_SECRET_LEN}


def on_register(listener: Callable[[str], None]) -> None:
    """Call ``listener`` for every secret registered from now on (GitHub ``::add-mask::``)."""
    _listeners.append(listener)
    for secret in sorted(_secrets):
        listener(secret)


def register(secret: str | None) -> None:
    global _compiled
    if not secret or len(secret) < _MIN_SECRET_LEN or secret in _secrets:
        return
    new = forms(secret) - _secrets
    _secrets.update(new)
    _compiled = None
    # The value itself first (a listener splits it into lines), then its encodings.
    lines = {line.strip() for line in secret.splitlines()}
    told = [secret, *sorted(new - lines - {secret})]
    for form in told:
        for listener in _listeners:
            listener(form)


def register_url(url: str | None, *, whole_url_secret: bool) -> None:
    """Register the secret parts of a URL: user info and query values always; a webhook
    address (``whole_url_secret``) is a credential as a whole, so its path too."""
    if not url:
        return
    from cibridge.core.urls import secret_parts

    if whole_url_secret:
        register(url)
    for part in secret_parts(url, whole_url_secret=whole_url_secret):
        register(part)


def _pattern() -> re.Pattern[str] | None:
    global _compiled
    if _compiled is None and _secrets:
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _compiled = re.compile("|".join(re.escape(secret) for secret in ordered))
    return _compiled


def redact(text: str) -> str:
    pattern = _pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for url_pattern, replacement in _URL_PATTERNS:
        text = url_pattern.sub(replacement, text)
    return text


def reset() -> None:
    """Forget every registered secret and listener (tests, and one CLI run per process)."""
    global _compiled
    _secrets.clear()
    _listeners.clear()
    _compiled = None
