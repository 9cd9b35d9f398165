"""The demo's release chapter: one release, from the trigger to the rollback, as one Slack
thread. Each step reports the way its command does with ``--release`` (the trigger, Jira
and gate steps with the outputs the earlier chapters' runs published), each a separate
search for the parent by its metadata; then the thread is shown as the Slack stand-in holds
it, the way a reader sees it in the channel."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns
    from cibridge.release.from_command import Done

CHANNEL = "C0DEPLOYS"  # by id: a name costs one conversations.list per step
_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as a reader sees it: links show their text, bold is just text."""
    text = _LINK.sub(lambda m: m.group(2), mrkdwn)
    text = _BOLD.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _lines(message: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for block in message.get("blocks") or []:
        if not isinstance(block, Mapping):
            continue
        text = block.get("text")
        if isinstance(text, Mapping) and text.get("text"):
            lines += plain(str(text["text"])).splitlines()
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("text"):
                lines += plain(str(element["text"])).splitlines()
    return [line for line in lines if line.strip()] or [plain(str(message.get("text", "")))]


def view(messages: Mapping[str, Mapping[str, Any]], channel: str, key: str, name: str) -> str:
    """The release's parent and its thread as the channel shows them (``messages`` as the
    Slack stand-in keeps them, ``<channel>/<ts>`` to message)."""
    in_channel = {k.split("/", 1)[1]: m for k, m in messages.items() if k.startswith(f"{channel}/")}
    parent_ts = next(
        ts
        for ts, m in in_channel.items()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
        and m["metadata"]["event_payload"].get("release") == key
    )
    replies = sorted(
        (ts for ts, m in in_channel.items() if m.get("thread_ts") == parent_ts), key=float
    )
    width = 72
    out = [f"┌─ {name} " + "─" * (width - len(name) - 4)]
    out += [f"│ {line}" for line in _lines(in_channel[parent_ts])]
    out.append(f"├─ {len(replies)} replies " + "─" * (width - len(str(len(replies))) - 12))
    for ts in replies:
        reply = in_channel[ts]
        first, *rest = _lines(reply)
        shown = "  (also sent to the channel)" if reply.get("reply_broadcast") else ""
        out.append(f"│ ↳ {first}{shown}")
        out += [f"│     {line}" for line in rest]
    out.append("└" + "─" * (width - 1))
    return "\n".join(out)


def _steps(stage: Stage) -> list[Done]:
    from cibridge.gate.summary import report
    from cibridge.release.from_command import Done

    url = stage.context.run_url
    published = stage.published
    gate: dict[str, str] = {}
    gate_report: dict[str, Any] = {}
    if "gate" in published:
        result = published["gate"]
        gate = {"result": result.verdict, "action": result.action,
                "rollback-pipeline": result.rollback_pipeline}  # fmt: skip
        gate_report = report(result)
    return [
        Done("notify", {}, True, url, "build", "success"),
        Done("trigger", published.get("trigger", {}), True, url),
        Done("notify", {}, True, url, "deploy", "success", "production"),
        Done("jira", published.get("jira", {}), True, url, transition="Done"),
        Done("gate", gate, gate.get("result") == "pass", url, report=gate_report),
        Done("notify", {}, True, url, "deploy", "running", "production", stage="rollback"),
    ]


def chapter(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    """Six steps of one release, each finding the thread again; the thread as shown."""
    from cibridge.clients.slack_api import SlackApi
    from cibridge.demo import standins
    from cibridge.http.transport import HttpSettings, Transport
    from cibridge.release import service
    from cibridge.release.settings import ReleaseSettings

    context = stage.context
    key = f"{context.repository or 'acme/checkout'}@{context.version or context.tag or 'v1.4.0'}"
    settings = ReleaseSettings(key, CHANNEL, 1.0, 5, "failure", False)
    calls = 0
    steps = _steps(stage)
    with Transport(HttpSettings.from_env(env)) as transport:
        for done in steps:
            # A client of its own per step, as each step is a process of its own in CI.
            api = SlackApi(f"{stand_ins.base}/slack/api", standins.SLACK_TOKEN, transport)
            deps = service.Dependencies(
                api, CHANNEL, stage.templates_dir, env, time.time(), stage.platform.warning,
                stage.locale, {"repository": context.repository, "environment": "production"},
            )  # fmt: skip
            thread = service.open_thread(settings, deps)
            result = service.report(settings, deps, thread, done, replied=False)
            calls += result.calls
            what = "posted the parent" if result.created else "found the parent by its metadata"
            stage.platform.print(
                f"{done.command:8} {what}, replied ({result.calls} Slack calls); the parent "
                "shows " + " ".join(f"{s.emoji} {s.name}" for s in result.stages)
            )
    stage.platform.print(
        f"\n{calls} Slack calls for {len(steps)} steps. The thread in #deployments "
        f"({CHANNEL}), as the Slack stand-in holds it:\n"
    )
    messages = stand_ins.behaviour.slack_messages
    shown = view(messages, CHANNEL, key, "#deployments")
    with stage.platform.untrusted():
        stage.platform.print(shown)
    parents = [
        m
        for m in messages.values()
        if (m.get("metadata") or {}).get("event_type") == "cibridge_release"
    ]
    return EXIT_OK if len(parents) == 1 else EXIT_FAILURE
