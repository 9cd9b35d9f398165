"""Subcommands, registered explicitly in the order ``--help`` lists them.

The names each module adds are listed beside it: the actions accept exactly these.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from cibridge.cli.commands import (
    config_cmd,
    demo_cmd,
    gate_cmd,
    jira_cmd,
    notify_cmd,
    render_cmd,
    secret_cmd,
    sign_cmd,
    standins_cmd,
    trigger_cmd,
)

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRY: list[tuple[tuple[str, ...], Register]] = [
    (("notify",), notify_cmd.register),
    (("jira",), jira_cmd.register),
    (("gate",), gate_cmd.register),
    (("trigger",), trigger_cmd.register),
    (("render",), render_cmd.register),
    (("config",), config_cmd.register),
    (("secret",), secret_cmd.register),
    (("sign", "verify"), sign_cmd.register),
    (("demo",), demo_cmd.register),
    (("standins",), standins_cmd.register),
]
NAMES = tuple(name for names, _register in REGISTRY for name in names)
