"""``notify --attach``: files into the thread of the message just delivered.

The files are read once per run (a bad path is reported once, exit 2), then sent after
each Slack Web API message: into that message's thread, or into ``--thread``'s when the
message is itself a reply (Slack threads files under the parent, never under a reply).
A file never costs the message: it is sent first, and a file's problem is that file's.

Where files cannot go, the message still goes: a Slack webhook cannot upload, which a bot
token fixes, so that is an error (exit 2); the other providers get no upload from cibridge
(some have none, the others need other credentials or APIs), which no setting fixes, so
that is a warning that names what was not attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.clients.attachments import DEFAULT_MAX_BYTES, Attachment
from cibridge.core.errors import EXIT_OK, EXIT_USAGE, CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.transport import Transport
    from cibridge.notify.providers import Provider
    from cibridge.notify.settings import ProviderSettings

UNKNOWN_CHANNEL = "<the channel id chat.postMessage answers>"
UNKNOWN_TS = "<the ts chat.postMessage answers>"


@dataclass(frozen=True)
class Delivered:
    """The message the files follow, as its target's result says."""

    label: str  # the target ("Slack", "Slack #ci")
    ok: bool
    channel_id: str  # as Slack answered; "" on a dry run
    thread_ts: str  # --thread's ts, else the message's own; "" on a dry run without --thread


@dataclass
class AttachResult:
    label: str  # the target it went to ("Slack", "Slack #ci"), or "--attach"
    path: str
    ok: bool
    detail: str
    file_id: str = ""
    exit_code: int = EXIT_OK
    warning: bool = False  # not sent, and no setting would change that
    preview: dict[str, Any] | None = None  # a dry run's requests


def max_bytes(config: Config) -> int:
    value = config.value("notify", "attach_max_bytes")
    return (
        int(value) if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_MAX_BYTES
    )


def load(
    paths: Sequence[str], workspace: Path | None, config: Config
) -> tuple[list[Attachment], list[AttachResult]]:
    """The files as they would leave, and a result for each path that cannot be sent."""
    from cibridge.clients import attachments

    root = workspace or Path.cwd()
    cap = max_bytes(config)
    files, problems = [], []
    for path in dict.fromkeys(paths):  # the same file twice is one file
        try:
            files.append(attachments.load(path, root, cap))
        except CibridgeError as error:
            problems.append(
                AttachResult("--attach", path, False, str(error), exit_code=error.exit_code)
            )
    return files, problems


def send(
    provider: Provider,
    settings: ProviderSettings,
    delivered: Delivered,
    files: Sequence[Attachment],
    transport: Transport | None,
) -> list[AttachResult]:
    """Each file into the delivered message's thread; ``transport`` None: a dry run."""
    from cibridge.notify.providers.slack import Slack

    label = delivered.label
    names = ", ".join(item.name for item in files)
    if not isinstance(provider, Slack):
        detail = (
            f"{label}: --attach goes to Slack with a bot token only; {names} not attached here "
            f"({label} has no file upload cibridge can use)"
        )
        return [AttachResult(label, "", False, detail, warning=True)]
    if not delivered.ok:
        detail = f"{label}: {names} not attached: the message itself was not delivered"
        return [AttachResult(label, "", False, detail, warning=True)]
    api = provider.web_api()
    if api is None:
        detail = (
            f"{label}: --attach needs the Web API, and only a webhook is configured; the message "
            f"was sent without {names}\n  hint: set SLACK_BOT_TOKEN (a bot token with files:write) "
            "and a channel"
        )
        return [AttachResult(label, "", False, detail, exit_code=EXIT_USAGE)]
    from cibridge.clients import slack_files

    base, token = api
    thread = delivered.thread_ts
    if transport is None:
        shown = slack_files.planned(
            files, delivered.channel_id or UNKNOWN_CHANNEL, thread or UNKNOWN_TS, api_url=base
        )
        return [
            AttachResult(
                label,
                item.path,
                True,
                f"dry run: would attach {item.name} ({item.length} bytes)",
                preview=plan,
            )
            for item, plan in zip(files, shown, strict=True)
        ]
    if not delivered.channel_id or not thread:
        detail = f"{label}: {names} not attached: Slack's answer named no channel or ts"
        return [AttachResult(label, "", False, detail, exit_code=1)]
    attached = slack_files.attach(
        transport,
        files,
        delivered.channel_id,
        thread,
        api_url=base,
        token=token,
        timeout=settings.timeout(),
        label=label,
    )
    return [AttachResult(label, a.path, a.ok, a.detail, a.file_id, a.exit_code) for a in attached]
