"""Subcommands, registered explicitly in the order ``--help`` lists them."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from cibridge.commands import (
    config_cmd,
    demo_cmd,
    notify_cmd,
    render_cmd,
    secret_cmd,
    sign_cmd,
)

REGISTRY: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    notify_cmd.register,
    render_cmd.register,
    config_cmd.register,
    secret_cmd.register,
    sign_cmd.register,
    demo_cmd.register,
]
