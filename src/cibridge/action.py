"""Entry point for the composite actions: inputs arrive only as environment variables.

``CIBRIDGE_COMMAND`` names the subcommand; ``CIBRIDGE_ARGS`` carries extra arguments as one
string, split shell-style here (never by a shell, so nothing in it is executed);
``CIBRIDGE_OPT_<NAME>`` variables become ``--name`` options (empty ones are left out);
``CIBRIDGE_IN_<VAR>`` secret inputs become ``<VAR>`` only when given, so an empty input
never hides the same variable set on the job; only the variables the providers' table
names can be set that way.

In the ``set`` input a line starting ``KEY=`` starts a value and any other line continues
the previous one, so a multi-line value (a commit message) stays one value; a key given
twice is refused rather than silently replaced.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import MutableMapping

from cibridge.cli import main
from cibridge.commands import NAMES as COMMANDS
from cibridge.notify.providers import SPECS

SECRET_INPUTS = frozenset(var.env for spec in SPECS for var in spec.secrets)
_SET_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*=")
REPEATABLE = frozenset({"to", "set", "template", "channel"})
SWITCHES = frozenset({"dry-run"})
OPT_PREFIX = "CIBRIDGE_OPT_"
SECRET_PREFIX = "CIBRIDGE_IN_"  # noqa: S105 - a variable-name prefix


class InputError(Exception):
    pass


def _set_values(raw: str) -> list[str]:
    pairs: list[str] = []
    for line in raw.strip("\n").split("\n"):
        if _SET_KEY.match(line.strip()) or not pairs:
            pairs.append(line.strip())
        else:
            pairs[-1] += "\n" + line
    keys = [pair.partition("=")[0] for pair in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise InputError(
            f"input `set` gives {', '.join(twice)} more than once; a line starting KEY= starts "
            "a new value, so check for a multi-line value with such a line in it"
        )
    return [pair for pair in pairs if pair.strip()]


def _values(option: str, raw: str) -> list[str]:
    if option == "set":
        return _set_values(raw)
    if option not in REPEATABLE:
        return [raw.strip()]
    separators = r"[\n,]" if option in ("to", "channel") else r"\n"
    return [item.strip() for item in re.split(separators, raw) if item.strip()]


def argv_from_env(env: MutableMapping[str, str]) -> list[str]:
    command = env.get("CIBRIDGE_COMMAND", "").strip()
    if command not in COMMANDS:
        raise InputError(
            f"input `command` must be one of {', '.join(COMMANDS)}, not {command[:40]!r}"
        )
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
            name = key[len(SECRET_PREFIX) :]
            if name not in SECRET_INPUTS:
                raise InputError(f"{key} does not name a credential cibridge reads")
            env[name] = raw
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
