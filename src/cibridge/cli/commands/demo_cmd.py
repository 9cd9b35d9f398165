"""``cibridge demo``: real notifications for this repository, sent to loopback stand-ins."""

from __future__ import annotations

import argparse

from cibridge.cli.runtime import Runtime
from cibridge.render.labels import LOCALES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="send real notifications to loopback stand-ins and show what they received",
        description="Starts stand-ins for Slack, DingTalk, Feishu, WeCom, Teams and a signed "
        "webhook on 127.0.0.1, sends this repository's build and deploy notifications to "
        "them, and shows what each one received. No credentials, no internet.",
    )
    parser.add_argument("--sample", action="store_true", help="use a sample context, not git")
    parser.add_argument("--locale", choices=tuple(LOCALES), default="en")
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
