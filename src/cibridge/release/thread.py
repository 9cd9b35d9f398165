"""The thread itself: find the parent by its metadata, post it once, reply, refresh it.

Finding: ``conversations.history`` of the channel since ``lookback`` ago, newest first, a
page of 200 at a time and at most ``pages`` pages; the parent is the message whose metadata
is ``cibridge_release`` with this key. Where a race left two, the oldest is the parent, for
everyone alike.

Creating: post the parent, then find again. Two commands that both found nothing both post,
both find again and both see the same two parents: the older stays, and the one that posted
the newer deletes it (it holds no replies yet: replies come after the parent is settled).

Refreshing: the parent is rebuilt from every stage reply in its thread (read with
``conversations.replies``), written, and read again; when a reply arrived meanwhile it is
written once more. A command that updates the parent at the same moment as another so
never leaves the other's stage out: whoever writes last has read every reply posted
before its last read, and a reply posted after that read is followed by its own author's
refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from cibridge.release.model import PARENT_EVENT, STAGE_EVENT, Stage, is_parent, merged, stage_of

if TYPE_CHECKING:
    from cibridge.clients.slack_api import SlackApi

REFRESH_ROUNDS = 3  # writes of the parent at most: each one more only when a reply arrived
THREAD_PAGES = 5  # of 200 replies: a release of a thousand commands is not one release


@dataclass
class Thread:
    channel: str  # the channel's id
    ts: str  # the parent's
    created: bool = False  # this command posted the parent
    looked_at: int = 0  # messages read to find it


@dataclass(frozen=True)
class Window:
    since: float  # unix time the search goes back to
    pages: int  # of conversations.history, at most


def _ts(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("Infinity")  # an unreadable ts never wins


def find(api: SlackApi, channel: str, key: str, window: Window) -> tuple[str, int]:
    """(the parent's ts or "", how many messages were read to decide)."""
    read = 0
    for page in api.history(channel, window.since, window.pages):
        read += len(page)
        parents = [str(m.get("ts", "")) for m in page if is_parent(m, key)]
        if parents:
            # A race's two parents are posted seconds apart, so on one page.
            return min(parents, key=_ts), read
    return "", read


def parent_metadata(key: str, facts: Mapping[str, str]) -> dict[str, Any]:
    given = {name: value for name, value in facts.items() if value}
    return {"event_type": PARENT_EVENT, "event_payload": {"release": key, **given}}


def open_thread(
    api: SlackApi,
    channel: str,
    key: str,
    window: Window,
    first_parent: Mapping[str, Any],
    warn: Callable[[str], None],
) -> Thread:
    """The release's thread, its parent posted when no command posted it yet."""
    ts, read = find(api, channel, key, window)
    if ts:
        return Thread(channel, ts, looked_at=read)
    posted = api.call("chat.postMessage", {**first_parent, "channel": channel})
    mine = str(posted.get("ts") or "")
    if not mine:
        from cibridge.core.errors import failure

        raise failure(f"release {key}: Slack took the parent message but named no ts for it")
    winner, _ = find(api, channel, key, window)
    if winner and winner != mine:
        from cibridge.clients.slack_api import SlackError

        try:
            api.call("chat.delete", {"channel": channel, "ts": mine})
        except SlackError as error:
            warn(f"release {key}: another job posted the parent first; this job's copy could "
                 f"not be deleted ({error.code}) and stays in the channel")  # fmt: skip
        return Thread(channel, winner, looked_at=read)
    return Thread(channel, mine, created=True, looked_at=read)


def reply(api: SlackApi, thread: Thread, message: Mapping[str, Any], key: str, stage: Stage,
          broadcast: bool) -> str:  # fmt: skip
    """Post a command's reply in the thread; its metadata names its stage."""
    body = {
        **message,
        "channel": thread.channel,
        "thread_ts": thread.ts,
        "metadata": {"event_type": STAGE_EVENT, "event_payload": stage.payload(key)},
    }
    if broadcast:
        body["reply_broadcast"] = True
    return str(api.call("chat.postMessage", body).get("ts", ""))


def refresh(
    api: SlackApi,
    thread: Thread,
    key: str,
    render: Callable[[list[Stage]], Mapping[str, Any]],
    facts: Mapping[str, str],
) -> list[Stage]:
    """Rebuild the parent from the thread's stage replies until no reply arrives between
    writing it and reading it again; the stages it shows."""
    seen: tuple[str, ...] | None = None
    stages: list[Stage] = []
    for writes in range(REFRESH_ROUNDS + 1):
        messages = api.replies(thread.channel, thread.ts, THREAD_PAGES)
        parents = [m for m in messages if str(m.get("ts", "")) == thread.ts]
        # Only the bot that posted the parent reports stages: another app's metadata in the
        # thread is not a stage of this release.
        bot = parents[0].get("bot_id") if parents else None
        replies = [
            m
            for m in messages
            if str(m.get("ts", "")) != thread.ts and (bot is None or m.get("bot_id") == bot)
        ]
        ids = tuple(str(m.get("ts", "")) for m in replies)
        if ids == seen or writes == REFRESH_ROUNDS:
            break
        stages = merged([s for m in replies if (s := stage_of(m, key)) is not None])
        update = {**render(stages), "channel": thread.channel, "ts": thread.ts}
        update["metadata"] = parent_metadata(key, facts)
        api.call("chat.update", update)
        seen = ids
    return stages
