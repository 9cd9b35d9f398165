"""One command's part in a release: find (or post) the parent, reply, refresh the parent.

``open`` settles the thread (notify opens it before it sends, so its own message is the
reply); ``report`` posts the command's reply unless its message already is one, and
rebuilds the parent from the thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.release import thread as threads
from cibridge.release.from_command import Done, of
from cibridge.release.model import Reply, Stage

if TYPE_CHECKING:
    from cibridge.clients.slack_api import SlackApi
    from cibridge.release.settings import ReleaseSettings
    from cibridge.release.thread import Thread

PARENT_TEMPLATE = "slack/release.yml.j2"
REPLY_TEMPLATE = "slack/release_reply.yml.j2"
DAY = 86_400
FACTS = ("repository", "repository_url", "version", "environment")  # always in `release`


@dataclass
class Dependencies:
    api: SlackApi
    channel: str  # the channel's id or name, as configured
    templates_dir: Path
    env: Mapping[str, str]
    now: float
    warn: Callable[[str], None]
    locale: str = "en"
    facts: Mapping[str, str] = field(default_factory=dict)  # repository, version, run_url …


@dataclass
class ReleaseResult:
    key: str
    channel: str
    ts: str
    created: bool
    stages: list[Stage]
    reply_ts: str = ""
    calls: int = 0
    looked_at: int = 0


def _labels(locale: str) -> dict[str, str]:
    from cibridge.render import labels

    return labels.for_locale(locale)


def _render(template: str, values: Mapping[str, Any], deps: Dependencies) -> dict[str, Any]:
    from cibridge.core.errors import CibridgeError
    from cibridge.render import engine

    dirs = engine.search_path(deps.templates_dir)
    rendered = engine.render(template, values, dirs, env=deps.env).data
    if not isinstance(rendered, dict):
        raise CibridgeError(f"{template} must produce a mapping (text, blocks)")
    return rendered


def _variables(key: str, deps: Dependencies, **more: Any) -> dict[str, Any]:
    """What the parent and reply templates see: ``release`` and the labels ``t``."""
    known = dict.fromkeys(FACTS, "")
    return {"release": {**known, **deps.facts, "key": key, **more}, "t": _labels(deps.locale)}


def parent(key: str, stages: list[Stage], deps: Dependencies) -> dict[str, Any]:
    worst = next(
        (r for r in ("failure", "running", "cancelled") if any(s.result == r for s in stages)),
        "success" if stages else "running",
    )
    listed = [
        {"name": s.name, "result": s.result, "emoji": s.emoji, "text": s.text, "url": s.url}
        for s in stages
    ]
    return _render(PARENT_TEMPLATE, _variables(key, deps, stages=listed, result=worst), deps)


def open_thread(settings: ReleaseSettings, deps: Dependencies) -> Thread:
    channel = deps.api.channel_id(deps.channel)
    window = threads.Window(deps.now - settings.lookback_days * DAY, settings.pages)
    first = parent(settings.key, [], deps)
    first["metadata"] = threads.parent_metadata(settings.key, deps.facts)
    return threads.open_thread(deps.api, channel, settings.key, window, first, deps.warn)


def report(
    settings: ReleaseSettings,
    deps: Dependencies,
    thread: Thread,
    done: Done,
    replied: bool,
) -> ReleaseResult:
    """Reply with ``done`` (unless ``replied``: notify's message is in the thread already)
    and rebuild the parent."""
    t = _labels(deps.locale)
    stage, said = of(done, t)
    reply_ts = ""
    if not replied:
        message = _reply(settings.key, stage, said, deps)
        broadcast = settings.broadcasts(stage.result)
        reply_ts = threads.reply(deps.api, thread, message, settings.key, stage, broadcast)
    stages = threads.refresh(
        deps.api, thread, settings.key, lambda found: parent(settings.key, found, deps), deps.facts
    )
    return ReleaseResult(
        settings.key,
        thread.channel,
        thread.ts,
        thread.created,
        stages,
        reply_ts,
        deps.api.calls,
        thread.looked_at,
    )


def _reply(key: str, stage: Stage, said: Reply, deps: Dependencies) -> dict[str, Any]:
    values = _variables(key, deps)
    values["stage"] = {"name": stage.name, "result": stage.result, "emoji": stage.emoji,
                       "url": stage.url}  # fmt: skip
    values["reply"] = {"title": said.title, "lines": said.lines, "table": said.table,
                       "links": said.links}  # fmt: skip
    return _render(REPLY_TEMPLATE, values, deps)
