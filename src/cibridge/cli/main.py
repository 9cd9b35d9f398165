"""Command-line entry point: argument parsing and the one place errors are handled."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from cibridge import __version__
from cibridge.cli.commands import REGISTRY, register
from cibridge.cli.runtime import Runtime
from cibridge.config import variables
from cibridge.context.platforms import NAMES as PLATFORMS
from cibridge.context.platforms import Platform, detect
from cibridge.core import log, redact
from cibridge.core.errors import BUG_HINT, EXIT_BUG, EXIT_INTERRUPTED, CibridgeError

Handler = Callable[[Runtime], int]


class _Partial(Exception):
    """A parser built for one command was asked for what needs them all."""


class _Parser(argparse.ArgumentParser):
    """The top-level parser. Built for one command only (``partial``), it refuses to print
    help or an error, which list every command: the caller then builds the whole parser."""

    partial = False

    def format_usage(self) -> str:
        if self.partial:
            raise _Partial
        return super().format_usage()

    def format_help(self) -> str:
        if self.partial:
            raise _Partial
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        if self.partial:
            raise _Partial
        super().error(message)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with ``only`` the parser of that one command (of none for
    ``""``): the same options and help for it, without importing any other command's
    module."""
    parser = _Parser(
        prog="cibridge",
        description="Connect CI/CD pipelines to chat, Jira and monitoring.",
    )
    parser.add_argument("--version", action="version", version=f"cibridge {__version__}")
    _add_global_options(parser, default=None)
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=argparse.ArgumentParser
    )
    for names, module in REGISTRY:
        if only is None or only in names:
            register(module)(commands)
    for sub in _leaf_parsers(commands):
        # Accepted after the command too; SUPPRESS keeps an absent copy from overwriting
        # what was given before the command, so the later one wins.
        _add_global_options(sub, default=argparse.SUPPRESS)
    parser.partial = only is not None
    return parser


class _PreParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Partial


def _command_named(argv: Sequence[str]) -> str | None:
    """The command a command line names, read with the global options alone (None when
    it names none that exists: the whole parser then says so)."""
    pre = _PreParser(prog="cibridge", add_help=False)
    _add_global_options(pre, default=None)
    pre.add_argument("command", nargs="?")
    try:
        name = pre.parse_known_args(argv)[0].command
    except _Partial:
        return None
    return name if any(name in names for names, _module in REGISTRY) else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse with only the named command's parser built (with none when no command is
    named: ``--version``); whatever needs every command (``cibridge --help``, a usage error
    of the top level) is answered by the whole one."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        return build_parser(_command_named(arguments) or "").parse_args(arguments)
    except _Partial:
        return build_parser().parse_args(arguments)


def _add_global_options(parser: argparse.ArgumentParser, default: object) -> None:
    """The options every command accepts, before or after its name; a command that
    defines one of them itself (with its own help) keeps its own."""
    flag = False if default is None else default
    options: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (
            ("--config",),
            {
                "action": "append",
                "metavar": "PATH",
                "default": default,
                "help": "configuration file (repeatable; later files override earlier ones). "
                "Default: $CIBRIDGE_CONFIG, then .cibridge.yml",
            },
        ),
        (
            ("--dry-run",),
            {
                "action": "store_true",
                "default": flag,
                "help": "print every request instead of sending it",
            },
        ),
        (
            ("-v", "--verbose"),
            {"action": "store_true", "default": flag, "help": "debug output on stderr"},
        ),
        (
            ("--json",),
            {
                "action": "store_true",
                "default": flag,
                "help": "print outputs as one JSON object (local runs)",
            },
        ),
        (
            ("--platform",),
            {"choices": PLATFORMS, "default": default, "help": "override CI platform detection"},
        ),
        (
            ("-C", "--working-directory"),
            {"metavar": "DIR", "default": default, "help": "run as if started in DIR"},
        ),
    ]
    for names, settings in options:
        if not any(name in parser._option_string_actions for name in names):
            parser.add_argument(*names, **settings)


def _leaf_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> list[argparse.ArgumentParser]:
    """Every parser that ends a command line (``config check``, not ``config``)."""
    leaves: list[argparse.ArgumentParser] = []
    for sub in dict.fromkeys(commands.choices.values()):
        nested = [
            action for action in sub._actions if isinstance(action, argparse._SubParsersAction)
        ]
        if nested:
            for action in nested:
                leaves.extend(_leaf_parsers(action))
        else:
            leaves.append(sub)
    return leaves


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command. ``env`` is the only environment anything below reads (default: the
    process's); the exit code is 0, 1 (a failure outcome), 2 (usage/config) or 3 (a bug)."""
    redact.reset()
    args = parse_args(argv)
    environment = dict(os.environ if env is None else env)
    if args.json:
        environment["CIBRIDGE_OUTPUT_FORMAT"] = "json"
    log.set_verbose(args.verbose)
    platform = detect(environment, forced=args.platform)
    redact.on_register(platform.mask)
    handler: Handler = args.handler
    runtime: Runtime | None = None
    try:
        variables.register(environment)
        if args.working_directory and not os.path.isdir(args.working_directory):
            raise CibridgeError(f"working directory {args.working_directory} does not exist")
        runtime = Runtime(args, environment, platform)
        code = handler(runtime)
    except CibridgeError as error:
        _outputs_on_failure(platform, args)
        platform.error(str(error))
        if args.verbose:
            platform.print_err(_traceback())
        code = error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # the last line of defence: redact, report, never a bare trace
        _outputs_on_failure(platform, args)
        platform.error(f"internal error: {type(error).__name__}: {error}\n  hint: {BUG_HINT}")
        platform.print_err(_traceback())
        return EXIT_BUG
    return code if runtime is None else _published(runtime, code)


def _published(runtime: Runtime, code: int) -> int:
    """The command's release-thread reply and its events, when asked for: after its result,
    never instead of it."""
    from cibridge.cli import events_hook, release_hook

    try:
        code = release_hook.after(runtime, code)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug in the thread must not change the command's result
        runtime.platform.warning(f"release: internal error, the thread was not updated: {error}")
    try:
        return events_hook.after(runtime, code) if events_hook.wanted(runtime) else code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug in publishing must not change the command's result
        runtime.platform.warning(f"events: internal error, nothing published: {error}")
        return code


def _outputs_on_failure(platform: Platform, args: argparse.Namespace) -> None:
    """The one place a failed command's outputs are written: later steps (and GitLab's
    dotenv report) read a defined value instead of an unset one."""
    outputs = getattr(args, "outputs_on_failure", None)
    if not outputs:
        return
    try:
        platform.set_outputs(outputs)
    except CibridgeError as error:  # an unwritable output file: the first error stands
        platform.warning(f"outputs not written: {error.message}")


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


def main_entry() -> None:
    sys.exit(main())
