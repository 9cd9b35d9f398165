"""Entry point for the composite actions: inputs arrive only as environment variables.

``CIBRIDGE_COMMAND`` names the subcommand; ``CIBRIDGE_ARGS`` carries extra arguments as one
string, split shell-style here (never by a shell, so nothing in it is executed);
``CIBRIDGE_OPT_<NAME>`` variables become ``--name`` options (empty ones are left out);
``CIBRIDGE_IN_<VAR>`` secret inputs become ``<VAR>`` only when given, so an empty input
never hides the same variable set on the job.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import MutableMapping

from cibridge.cli import main

COMMANDS = ("notify", "render", "jira", "gate", "trigger")
REPEATABLE = frozenset({"to", "set", "template", "channel"})
SWITCHES = frozenset({"dry-run"})
OPT_PREFIX = "CIBRIDGE_OPT_"
SECRET_PREFIX = "CIBRIDGE_IN_"  # noqa: S105 - a variable-name prefix


class InputError(Exception):
    pass


def _values(option: str, raw: str) -> list[str]:
    if option not in REPEATABLE:
        return [raw.strip()]
    separators = r"[\n,]" if option in ("to", "channel") else r"\n"
    return [item.strip() for item in re.split(separators, raw) if item.strip()]


def argv_from_env(env: MutableMapping[str, str]) -> list[str]:
    command = env.get("CIBRIDGE_COMMAND", "").strip()
    if command not in COMMANDS:
        raise InputError(f"input `command` must be one of {', '.join(COMMANDS)}, not {command!r}")
    argv = [command]
    for key in sorted(env):
        raw = env[key]
        if key.startswith(OPT_PREFIX) and raw.strip():
            option = key[len(OPT_PREFIX) :].lower().replace("_", "-")
            if option in SWITCHES:
                if raw.strip().lower() == "true":
                    argv.append(f"--{option}")
                continue
            for value in _values(option, raw):
                argv.extend([f"--{option}", value])
        elif key.startswith(SECRET_PREFIX) and raw:
            env[key[len(SECRET_PREFIX) :]] = raw
    if env.get("CIBRIDGE_JOB_STATUS") and not env.get("CIBRIDGE_STATUS"):
        env["CIBRIDGE_STATUS"] = env["CIBRIDGE_JOB_STATUS"]
    try:
        argv.extend(shlex.split(env.get("CIBRIDGE_ARGS", "")))
    except ValueError as error:
        raise InputError(f"input `args` cannot be split shell-style: {error}") from None
    return argv


def run() -> int:
    try:
        argv = argv_from_env(os.environ)
    except InputError as error:
        prefix = (
            "::error title=cibridge::" if os.environ.get("GITHUB_ACTIONS") == "true" else "error: "
        )
        sys.stdout.write(f"{prefix}{error}\n")
        return 2
    return main(argv)


def main_entry() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main_entry()
