"""``--release``: the command's part in its release's chat thread (``cibridge.release``).

After jira, boards, gate and trigger the command's result is posted as a reply and the
parent refreshed. notify opens the thread before it sends (``before_notify``), so its own
Slack message is the reply; the rest of its targets send as they would without a release.
A release thread that cannot be reached is a warning, the command's result stands
(``release.fail_on_error: true`` makes it a failure); a release that cannot be set up at
all (no bot token, no channel) is a configuration error, exit 2.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.cli.runtime import Runtime
    from cibridge.notify.service import NotifyRequest
    from cibridge.release.service import Dependencies
    from cibridge.release.settings import ReleaseSettings
    from cibridge.release.thread import Thread

COMMANDS = frozenset({"notify", "jira", "boards", "gate", "trigger"})


def add_release_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release",
        nargs="?",
        const="auto",
        metavar="KEY",
        help="report in this release's Slack thread (found again by message metadata); "
        "without KEY: the tag or version being deployed",
    )
    parser.add_argument(
        "--release-stage",
        metavar="NAME",
        help="the stage's name in the release's parent message (default: the command's)",
    )


def key(runtime: Runtime) -> str:
    """The release this command reports to, "" for none."""

    args = runtime.args
    if args.command not in COMMANDS or getattr(args, "what", "run") != "run":
        return ""
    given = getattr(args, "release", None)
    if given is None and not runtime.env.get(variables.name("release", "key")):
        return ""  # no release: nothing of cibridge.release is imported
    from cibridge.release.settings import key_of

    return key_of(given, runtime.context, runtime.env)


def _setup(runtime: Runtime, found: ReleaseSettings) -> Dependencies:
    from cibridge.clients.slack_api import DEFAULT_API, SlackApi
    from cibridge.notify.settings import ProviderSettings
    from cibridge.release import service

    release = found.key
    slack = ProviderSettings("slack", runtime.config, runtime.env)
    token = slack.secret("bot_token", variables.name("slack", "bot_token"))
    if not token:
        raise CibridgeError(
            f"release {release}: the release thread needs Slack's Web API, and no bot token is set",
            hint="set SLACK_BOT_TOKEN (scopes chat:write, channels:history, channels:read)",
        )
    channel = found.channel or slack.channel(_first_channel(runtime)) or ""
    if not channel:
        raise CibridgeError(
            f"release {release}: no channel for the release thread",
            hint="set release.channel (or CIBRIDGE_RELEASE_CHANNEL, or the Slack channel)",
        )
    base = slack.api_url("Slack", variables.name("slack", "api_url"), DEFAULT_API)
    api = SlackApi(base, token, runtime.transport, slack.timeout())
    context = runtime.context
    facts = {
        "repository": context.repository,
        "repository_url": context.repository_url,
        "version": context.version or context.tag,
        "environment": context.environment,
    }
    locale = str(runtime.config.value("notify", "locale") or "en")
    return service.Dependencies(
        api, channel, runtime.templates_dir(), runtime.env, time.time(),
        runtime.platform.warning, locale, facts,
    )  # fmt: skip


def _first_channel(runtime: Runtime) -> str | None:
    channels = getattr(runtime.args, "channel", None) or []
    return channels[0] if channels else None


def before_notify(runtime: Runtime, request: NotifyRequest) -> None:
    """Point notify's Slack message into the release thread (settled now). A thread that
    cannot be opened leaves the message where it would go without one; ``after`` reports
    the problem once."""
    release = key(runtime)
    if not release:
        return
    from cibridge.notify.service import Placement, job_status
    from cibridge.release import service
    from cibridge.release.from_command import Done, of
    from cibridge.release.settings import load
    from cibridge.render import labels

    if request.dry_run:
        # A dry run reads nothing, so shows Slack's message to the release's channel, in
        # a thread it has not looked for.
        channel = load(runtime.config, runtime.env, release).channel
        if channel:
            request.placed = {**request.placed, "slack": Placement(channel, "")}
        return
    context = runtime.context
    status = job_status(request, context)
    try:
        found = load(runtime.config, runtime.env, release)
        deps = _setup(runtime, found)
        opened = service.open_thread(found, deps)
    except CibridgeError as error:
        runtime.release = error
        return
    runtime.release = (found, deps, opened)
    environment = request.values.get("environment") or context.environment
    done = Done("notify", {}, True, context.run_url, request.event, status, environment)
    done.stage = getattr(runtime.args, "release_stage", None) or ""
    stage, _ = of(done, labels.for_locale(deps.locale))
    placed = Placement(opened.channel, opened.ts, found.broadcasts(status), stage.payload(release))
    request.placed = {**request.placed, "slack": placed}


def after(runtime: Runtime, code: int) -> int:
    """Reply and refresh the parent; the command's exit code stands unless the release
    could not be set up (2) or release.fail_on_error says otherwise (1)."""
    platform = runtime.platform
    release = ""
    fail = False
    try:
        release = key(runtime)
        if not release:
            return code
        if runtime.dry_run or getattr(runtime.args, "dry_run", False):
            platform.print(
                f"release {release}: would find its parent message by metadata in the Slack "
                "channel (conversations.history), reply in its thread and update it"
            )
            return code
        from cibridge.release import service
        from cibridge.release.settings import load

        opened = runtime.release
        found = (
            opened[0] if isinstance(opened, tuple) else load(runtime.config, runtime.env, release)
        )
        fail = found.fail_on_error
        if isinstance(opened, CibridgeError):
            raise opened
        if opened is None:
            deps = _setup(runtime, found)
            opened = (found, deps, service.open_thread(found, deps))
            runtime.release = opened
        return _report(runtime, code, *opened)
    except CibridgeError as error:
        named = f"release {release}" if release else "release"
        if error.exit_code == EXIT_FAILURE and not fail:
            platform.warning(f"{named}: the thread was not updated: {error}")
            return code
        platform.error(f"{named}: {error}")
        return code if code != EXIT_OK else error.exit_code


def _report(
    runtime: Runtime, code: int, found: ReleaseSettings, deps: Dependencies, thread: Thread
) -> int:
    from cibridge.release import service
    from cibridge.release.from_command import Done

    args, context, outputs = runtime.args, runtime.context, runtime.platform.outputs
    command = args.command
    replied = bool(runtime.details.get("release_replied"))
    done = Done(
        command,
        dict(outputs),
        code == EXIT_OK,
        context.run_url,
        event=getattr(args, "event", "") or "",
        status=context.status or "",
        environment=context.environment,
        transition=getattr(args, "transition", None) or getattr(args, "state", None) or "",
        tracker_url=runtime.jira_site() if command == "jira" else "",
        report=_gate_report(runtime),
        stage=getattr(args, "release_stage", None) or "",
    )
    result = service.report(found, deps, thread, done, replied)
    runtime.platform.set_outputs({"release-ts": result.ts, "release-channel": result.channel})
    where = "posted the parent" if result.created else "found the parent"
    runtime.platform.print(
        f"release {result.key}: {where} {result.ts} in {result.channel} "
        f"(read {result.looked_at} messages of its history), "
        f"{'replied' if result.reply_ts or replied else 'no reply'}, parent shows "
        f"{len(result.stages)} stage(s) ({result.calls + replied} Slack calls)"
    )
    return code


def _gate_report(runtime: Runtime) -> dict[str, object]:
    """The gate's checks as its JSON report has them, made only when a release asks."""
    result = runtime.details.get("gate_result")
    if result is None:
        return {}
    from cibridge.gate.summary import report

    return report(result)
