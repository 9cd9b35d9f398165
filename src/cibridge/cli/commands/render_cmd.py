"""``cibridge render``: preview any template with the current (or a sample) context."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_OK, CibridgeError
from cibridge.notify.message import KINDS, STATUSES
from cibridge.render.labels import LOCALES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "render",
        help="render a template with the CI context (no network)",
        description="Render TEMPLATE (a file path, or a name such as slack/build.yml.j2 found "
        "under .cibridge/templates/ or the built-ins). Data templates (.yml.j2, .json.j2) print "
        "the payload as JSON.",
    )
    parser.add_argument("template", nargs="?", help="template file or name")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="extra value")
    parser.add_argument("--sample", action="store_true", help="use a sample context, not CI/git")
    parser.add_argument("--show-context", action="store_true", help="print the context as JSON")
    parser.add_argument("--list", action="store_true", help="list the templates that can be used")
    parser.add_argument("--locale", choices=tuple(LOCALES), help="labels' language")
    parser.add_argument(
        "--event",
        choices=KINDS,
        default="build",
        help="build, deploy, alert, or summary (a sample run's jobs as run_summary)",
    )
    parser.add_argument("--status", choices=STATUSES, help="job status")
    parser.add_argument("-o", "--output", metavar="FILE", help="also write the result to FILE")
    parser.set_defaults(handler=run)


def run(runtime: Runtime) -> int:
    from cibridge.context import sample as sample_context
    from cibridge.notify import message
    from cibridge.render import engine as render
    from cibridge.render import labels

    args = runtime.args
    dirs = render.search_path(runtime.templates_dir())
    if args.list:
        for name in list_templates(dirs):
            runtime.platform.print(name)
        return EXIT_OK
    context = sample_context.build() if args.sample else runtime.context
    if args.status:
        context.status = args.status
    variables = context.template_vars(runtime.sets())
    locale = args.locale or runtime.config.value("notify", "locale") or "en"
    variables.setdefault("t", labels.for_locale(locale))
    if args.event == "summary":
        from cibridge.summary import groups

        shown = groups.model(groups.sample(), variables["t"], 25, 10)
        variables.setdefault("run_summary", shown)
    variables.setdefault(
        "message", message.build(args.event, context.status, variables, variables["t"])
    )
    if args.show_context:
        with runtime.platform.untrusted():
            runtime.platform.print(json.dumps(variables, indent=2, ensure_ascii=False, default=str))
        return EXIT_OK
    if not args.template:
        raise CibridgeError(
            "render needs a TEMPLATE", hint="e.g. cibridge render slack/build.yml.j2"
        )
    result = render.render(args.template, variables, dirs, env=runtime.env)
    text = json.dumps(result.data, indent=2, ensure_ascii=False) if result.is_data else result.text
    with runtime.platform.untrusted():
        runtime.platform.print(text.rstrip("\n"))
    if args.output:
        Path(args.output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return EXIT_OK


def list_templates(dirs: list[Path]) -> list[str]:
    found: dict[str, Path] = {}
    for directory in reversed(dirs):
        for path in sorted(directory.rglob("*.j2")):
            relative = path.relative_to(directory).as_posix()
            if not relative.split("/")[-1].startswith("_"):
                found[relative] = directory
    return [f"{name}  ({directory})" for name, directory in sorted(found.items())]
