"""A release's stages and the metadata its messages carry in Slack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PARENT_EVENT = "cibridge_release"
STAGE_EVENT = "cibridge_release_stage"
# notify's own message in the thread carries its values as cibridge_notify metadata;
# the stage is among them under the same keys a stage reply uses.
NOTIFY_EVENT = "cibridge_notify"
RESULTS = ("success", "failure", "running", "cancelled", "skipped")
EMOJI = {"success": "✅", "failure": "❌", "running": "🔄", "cancelled": "⚪", "skipped": "⏭️"}


@dataclass(frozen=True)
class Stage:
    """One step of a release: built, deployed to production, gate, rollback started."""

    name: str
    result: str  # one of RESULTS
    text: str = ""  # one line of what happened
    url: str = ""  # the run (or pipeline) it happened in

    def payload(self, key: str) -> dict[str, str]:
        """The message metadata that names this stage of release ``key``."""
        return {
            "release": key,
            "release_stage": self.name,
            "release_result": self.result,
            "release_text": self.text,
            "release_url": self.url,
        }

    @property
    def emoji(self) -> str:
        return EMOJI.get(self.result, "•")


@dataclass
class Reply:
    """What a command says in the thread, beyond its stage line."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: list[dict[str, str]] = field(default_factory=list)  # the gate's checks
    links: list[dict[str, str]] = field(default_factory=list)


def metadata(message: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """(event_type, event_payload) of a message, empty when it carries none."""
    found = message.get("metadata")
    if not isinstance(found, Mapping):
        return "", {}
    payload = found.get("event_payload")
    return str(found.get("event_type", "")), payload if isinstance(payload, Mapping) else {}


def is_parent(message: Mapping[str, Any], key: str) -> bool:
    kind, payload = metadata(message)
    return kind == PARENT_EVENT and payload.get("release") == key


def stage_of(message: Mapping[str, Any], key: str) -> Stage | None:
    """The stage a reply in the thread stands for, or None (a person's reply, say)."""
    kind, payload = metadata(message)
    if kind not in (STAGE_EVENT, NOTIFY_EVENT) or payload.get("release") != key:
        return None
    name, result = payload.get("release_stage"), payload.get("release_result")
    if not isinstance(name, str) or not name or result not in RESULTS:
        return None
    text, url = payload.get("release_text", ""), payload.get("release_url", "")
    return Stage(name, str(result), str(text or ""), str(url or ""))


def merged(stages: list[Stage]) -> list[Stage]:
    """One line per stage name, in the order each first happened, with its latest result:
    a gate that failed and passed on a retry shows passed."""
    latest: dict[str, Stage] = {}
    for stage in stages:
        latest[stage.name] = stage
    return list(latest.values())
