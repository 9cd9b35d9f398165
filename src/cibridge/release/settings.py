"""Which release, where its thread lives and how far back to look for it.

``--release KEY`` (or ``CIBRIDGE_RELEASE``) names the release; without a key, ``--release``
means the tag or version being deployed, scoped by the repository (``acme/shop@v1.4.0``),
since two repositories' ``v1.0.0`` in one channel are two releases. The ``release:``
section of the config holds the rest; the thread needs Slack's Web API (a bot token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.context.model import Context

DEFAULT_DAYS = 30
MAX_DAYS = 90  # Slack's free plans hide what is older than 90 days
DEFAULT_PAGES = 5  # of 200 messages: a busy channel's month
MAX_KEY = 100
BROADCAST = ("failure", "always", "never")


@dataclass(frozen=True)
class ReleaseSettings:
    key: str
    channel: str  # "" when none is configured: the Slack provider's channel then
    lookback_days: float
    pages: int
    broadcast: str  # which replies also go to the channel
    fail_on_error: bool

    def broadcasts(self, result: str) -> bool:
        """Whether a reply with this stage result is also sent to the channel."""
        return self.broadcast == "always" or (self.broadcast == "failure" and result == "failure")


def key_of(given: str | None, context: Context, env: Mapping[str, str]) -> str:
    """The release's key: given, else the tag or version being deployed ("" for none)."""
    if given is None:
        given = env.get(variables.name("release", "key"), "") or None
        if given is None:
            return ""
    key = given.strip()
    if not key or key == "auto":
        version = context.tag or context.version
        if not version:
            raise CibridgeError(
                "--release without a key needs the tag or version being deployed, and this "
                "run has neither",
                hint="pass --release v1.4.0 (or set CIBRIDGE_VERSION, or run on a tag)",
            )
        key = f"{context.repository}@{version}" if context.repository else version
    if len(key) > MAX_KEY or any(ord(c) < 32 for c in key):
        raise CibridgeError(
            f"--release: the key must be one line of at most {MAX_KEY} characters",
            hint="use the tag or version, e.g. --release v1.4.0",
        )
    return key


def load(config: Config, env: Mapping[str, str], key: str) -> ReleaseSettings:
    def where(name: str) -> str:
        return f"release.{name} ({config.where('release', name)})"

    channel = env.get(variables.name("release", "channel")) or config.value("release", "channel")
    days = config.value("release", "lookback_days")
    days = DEFAULT_DAYS if days is None else days
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= MAX_DAYS:
        raise CibridgeError(
            f"{where('lookback_days')} must be a number of days from 1 to {MAX_DAYS}",
            hint="how far back conversations.history looks for the release's parent message",
        )
    pages = config.value("release", "history_pages")
    pages = DEFAULT_PAGES if pages is None else pages
    if isinstance(pages, bool) or not isinstance(pages, int) or not 1 <= pages <= 50:
        raise CibridgeError(f"{where('history_pages')} must be a whole number from 1 to 50")
    broadcast = config.value("release", "broadcast") or "failure"
    if broadcast not in BROADCAST:
        raise CibridgeError(f"{where('broadcast')} must be one of {', '.join(BROADCAST)}")
    fail = config.value("release", "fail_on_error")
    if fail is not None and not isinstance(fail, bool):
        raise CibridgeError(f"{where('fail_on_error')} must be true or false")
    return ReleaseSettings(key, str(channel or ""), float(days), pages, broadcast, bool(fail))
