"""Keeps secrets out of everything cibridge prints, writes or raises.

Every resolved secret is registered here; every line that leaves the process goes through
:func:`redact`. Secrets that live inside URLs (a webhook path, ``access_token=``) are also
caught by pattern, so a URL printed before its secret was registered still comes out clean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "***"
_MIN_SECRET_LEN = 4

# Environment variables that always hold secrets: registered (and on GitHub masked) at
# start-up, before anything is printed, whether or not the command reads them.
SECRET_ENV = (
    "SLACK_WEBHOOK_URL",
    "SLACK_BOT_TOKEN",
    "DINGTALK_WEBHOOK_URL",
    "DINGTALK_SECRET",
    "FEISHU_WEBHOOK_URL",
    "FEISHU_SECRET",
    "WECOM_WEBHOOK_URL",
    "TEAMS_WEBHOOK_URL",
    "CIBRIDGE_WEBHOOK_URL",
    "CIBRIDGE_WEBHOOK_SECRET",
    "CIBRIDGE_KEY",
    "JIRA_API_TOKEN",
)

_secrets: set[str] = set()
_listeners: list[Callable[[str], None]] = []

_URL_PATTERNS = [
    # user:password@host
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    # query parameters that carry credentials
    re.compile(
        r"(?i)(?<=[?&])(access_token|token|key|sign|signature|secret|password|api_key|apikey)"
        r"=[^&\s#\"']+"
    ),
    # Slack incoming webhooks: /services/T.../B.../secret
    re.compile(r"(?<=/services/)[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+"),
    # Feishu / Lark bot hooks and Teams workflow signatures
    re.compile(r"(?<=/bot/v2/hook/)[A-Za-z0-9-]+"),
    re.compile(r"(?i)(?<=[?&]sig=)[^&\s#\"']+"),
]


def on_register(listener: Callable[[str], None]) -> None:
    """Call ``listener`` for every secret registered from now on (GitHub ``::add-mask::``)."""
    _listeners.append(listener)
    for secret in sorted(_secrets):
        listener(secret)


def register(secret: str | None) -> None:
    if not secret or len(secret) < _MIN_SECRET_LEN or secret in _secrets:
        return
    _secrets.add(secret)
    for listener in _listeners:
        listener(secret)
    # A multi-line secret (a PEM key) can leak one line at a time; listeners already
    # receive the whole value and split it themselves.
    lines = secret.splitlines()
    if len(lines) > 1:
        _secrets.update(line.strip() for line in lines if len(line.strip()) >= _MIN_SECRET_LEN)


def _mask_query(match: re.Match[str]) -> str:
    name = match.group(0).split("=", 1)[0]
    return f"{name}={MASK}"


def redact(text: str) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for index, pattern in enumerate(_URL_PATTERNS):
        text = pattern.sub(_mask_query if index == 1 else lambda _m: MASK, text)
    return text


def reset() -> None:
    """Forget every registered secret and listener (tests, and one CLI run per process)."""
    _secrets.clear()
    _listeners.clear()
