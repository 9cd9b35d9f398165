"""``cibridge demo``: real notifications for this repository, sent to loopback stand-ins."""

from __future__ import annotations

import argparse

from cibridge.cli.runtime import Runtime
from cibridge.render.labels import LOCALES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="run notify, trigger, jira, boards, gate and the event stream against loopback "
        "stand-ins; show what they got",
        description="Starts stand-ins for Slack, DingTalk, Feishu, WeCom, Teams, a signed webhook, "
        "Mattermost, Discord, Telegram, Google Chat, Jira, Azure Boards, GitHub, Datadog and a "
        "CloudEvents sink on 127.0.0.1, then runs the whole flow against them: this "
        "repository's build and deploy notifications (a Slack and a Discord message updated "
        "in place), a Jira status "
        "starting one pipeline, the Jira issues and Azure Boards work items a deploy ships, "
        "the gate judging a healthy and a broken service (with a real Prometheus when one is "
        "installed), and the run as CDEvents (to NATS too when nats-server is installed). "
        "Ends with what each stand-in received, the configuration it used and the next steps."
        " No credentials, no internet.",
    )
    parser.add_argument("--sample", action="store_true", help="use a sample context, not git")
    parser.add_argument(
        "--locale", choices=tuple(LOCALES), default="en", help="language of the messages"
    )
    parser.set_defaults(handler=run)


def run(runtime: Runtime) -> int:
    from cibridge.demo import run as demo
    from cibridge.demo.stage import Stage

    stage = Stage(
        platform=runtime.platform,
        context=runtime.context,
        env=dict(runtime.env),
        notify_settings=runtime.config.raw("notify") or {},
        templates_dir=runtime.templates_dir(),
        locale=runtime.args.locale,
    )
    return demo.run(stage, sample=runtime.args.sample)
