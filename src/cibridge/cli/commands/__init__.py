"""Subcommands, registered explicitly in the order ``--help`` lists them.

The names each module adds are listed beside it: the actions accept exactly these. A
module is imported only when its parser is built (``register``), so a run of one command
imports that command's module and no other's.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRY: list[tuple[tuple[str, ...], str]] = [
    (("notify",), "notify_cmd"),
    (("jira",), "jira_cmd"),
    (("boards",), "boards_cmd"),
    (("gate",), "gate_cmd"),
    (("trigger",), "trigger_cmd"),
    (("events",), "events_cmd"),
    (("summary",), "summary_cmd"),
    (("render",), "render_cmd"),
    (("config",), "config_cmd"),
    (("secret",), "secret_cmd"),
    (("sign", "verify"), "sign_cmd"),
    (("demo",), "demo_cmd"),
    (("standins",), "standins_cmd"),
]
NAMES = tuple(name for names, _module in REGISTRY for name in names)


def register(module: str) -> Register:
    """The ``register`` function of one command module, imported now."""
    loaded = importlib.import_module(f"{__name__}.{module}")
    function: Register = loaded.register
    return function
