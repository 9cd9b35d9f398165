"""``cibridge config check|show|schema``."""

from __future__ import annotations

import argparse
import json

from cibridge.runtime import Runtime


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("config", help="validate or show the configuration")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser("check", help="validate the configuration files").set_defaults(handler=check)
    actions.add_parser(
        "show", help="print the merged configuration, secrets redacted"
    ).set_defaults(handler=show)
    actions.add_parser("schema", help="print the JSON Schema for editors").set_defaults(
        handler=schema
    )


def check(runtime: Runtime) -> int:
    config = runtime.config
    if not config.files:
        runtime.platform.print("no configuration file found; defaults and environment apply")
        return 0
    sections = ", ".join(sorted(config.data)) or "nothing"
    runtime.platform.print(f"ok: {', '.join(config.files)} ({sections})")
    return 0


def show(runtime: Runtime) -> int:
    import yaml

    shown = runtime.config.show()
    runtime.platform.print(
        yaml.safe_dump(
            shown, sort_keys=False, allow_unicode=True, default_flow_style=False
        ).rstrip()
        if shown
        else "{}"
    )
    return 0


def schema(runtime: Runtime) -> int:
    from cibridge.config_schema import schema as load_schema

    runtime.platform.print(json.dumps(load_schema(), indent=1))
    return 0
