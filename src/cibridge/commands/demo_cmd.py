"""``cibridge demo``: the whole flow against loopback stand-ins, no credentials."""

from __future__ import annotations

import argparse
import json

from cibridge.runtime import Runtime


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo", help="show the whole flow against loopback stand-ins (no credentials)"
    )
    parser.add_argument("--sample", action="store_true", help="use a sample context, not git")
    parser.set_defaults(handler=run)


def run(runtime: Runtime) -> int:
    from cibridge import labels, render, sample_context

    platform = runtime.platform
    context = sample_context.build() if runtime.args.sample else runtime.context
    variables = context.template_vars()
    variables["t"] = labels.for_locale("en")
    with platform.group("1. CI context"):
        with platform.untrusted():
            platform.print(json.dumps(variables, indent=2, ensure_ascii=False, default=str))
    with platform.group("2. Configuration"):
        files = runtime.config.files
        platform.print(f"files: {', '.join(files) if files else '(none found; defaults apply)'}")
    dirs = render.search_path(runtime.templates_dir())
    with platform.group("3. Rendered Slack build message"):
        result = render.render("slack/build.yml.j2", variables, dirs)
        with platform.untrusted():
            platform.print(json.dumps(result.data, indent=2, ensure_ascii=False))
    return 0
