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

from cibridge.cli.commands import NAMES as COMMANDS
from cibridge.cli.main import main
from cibridge.config.variables import GIVEN_INPUTS, INPUTS
from cibridge.config.variables import OPTION_PREFIX as OPT_PREFIX
from cibridge.config.variables import SECRET_INPUT_PREFIX as SECRET_PREFIX
from cibridge.core.errors import EXIT_USAGE
from cibridge.core.untrusted import printable

SECRET_INPUTS = frozenset(INPUTS.values())
_SET_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*=")
# Options an input may give several of: separated by commas and newlines, or by newlines
# only where a value may itself contain a comma.
LISTS = frozenset({"to", "channel", "issue", "link-to", "work-item", "tag"})
LINES = frozenset({"set", "template", "field", "job-name", "attach"})
SWITCHES = frozenset(
    {
        "dry-run",
        "strict",
        "release-version",
        "deployment",
        "dispatch",
        "poll",
        "silence",
        "push-metrics",
        "dora",
        "resolve-fixed",
    }
)
# A boolean input whose "false" is the switch: remote-link: false -> --no-remote-link.
NEGATED = frozenset({"remote-link", "links"})
# "true" means the option alone (its default value); anything else is the option's value.
OPTIONAL_VALUE = frozenset({"comment", "release"})
# The gate's `rules` input installs the checks as alert rules instead of judging the deploy:
# `gate rules --apply --format <value>`. The word comes right after the command, as argparse
# gives an optional positional its default at the first option it meets.
RULES_FORMATS = ("prometheus", "datadog")


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
    if option not in LISTS | LINES:
        return [raw.strip()]
    separators = r"[\n,]" if option in LISTS else r"\n"
    return [item.strip() for item in re.split(separators, raw) if item.strip()]


def _arguments(option: str, raw: str) -> list[str]:
    value = raw.strip()
    if option in SWITCHES:
        return [f"--{option}"] if value.lower() == "true" else []
    if option in NEGATED:
        return [f"--no-{option}"] if value.lower() == "false" else []
    if option in OPTIONAL_VALUE and value.lower() in ("true", "false"):
        return [f"--{option}"] if value.lower() == "true" else []
    # One word, --name=value: a value starting with "-" (deployed-at: -6m) is not an option.
    return [f"--{option}={item}" for item in _values(option, raw)]


def _rules(command: str, value: str) -> list[str]:
    if command != "gate" or value not in RULES_FORMATS:
        raise InputError(
            f"input `rules` of the gate is {' or '.join(RULES_FORMATS)}, not {value[:40]!r}"
        )
    return ["rules", "--apply", f"--format={value}"]


def argv_from_env(env: MutableMapping[str, str]) -> list[str]:
    command = env.get("CIBRIDGE_COMMAND", "").strip()
    if command not in COMMANDS:
        raise InputError(
            f"input `command` must be one of {', '.join(COMMANDS)}, not {command[:40]!r}"
        )
    argv = [command]
    given: list[str] = []
    for key in sorted(env):
        raw = env[key]
        if key == f"{OPT_PREFIX}RULES" and raw.strip():
            argv[1:1] = _rules(command, raw.strip())
        elif key.startswith(OPT_PREFIX) and raw.strip():
            argv.extend(_arguments(key[len(OPT_PREFIX) :].lower().replace("_", "-"), raw))
        elif key.startswith(SECRET_PREFIX) and raw:
            name = key[len(SECRET_PREFIX) :]
            if name not in SECRET_INPUTS:
                raise InputError(f"{key} does not name a credential cibridge reads")
            env[name] = raw
            given.append(name)
    env[GIVEN_INPUTS] = ",".join(given)
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
        # The message quotes inputs: shown, never obeyed (a \r or "::" in one is data).
        sys.stdout.write(f"{prefix}{' '.join(printable(str(error)).splitlines())}\n")
        return EXIT_USAGE
    return main(argv)


def main_entry() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main_entry()
