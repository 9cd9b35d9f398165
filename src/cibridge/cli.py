"""Command-line entry point: argument parsing and the one place errors are handled."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from cibridge import __version__, log, redact
from cibridge.commands import REGISTRY
from cibridge.errors import EXIT_FAILURE, CibridgeError
from cibridge.platforms import NAMES as PLATFORMS
from cibridge.platforms import detect
from cibridge.runtime import Runtime

Handler = Callable[[Runtime], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cibridge",
        description="Connect CI/CD pipelines to chat, Jira and monitoring.",
    )
    parser.add_argument("--version", action="version", version=f"cibridge {__version__}")
    parser.add_argument(
        "--config",
        action="append",
        metavar="PATH",
        help="configuration file (repeatable; later files override earlier ones). "
        "Default: $CIBRIDGE_CONFIG, then .cibridge.yml",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print every request instead of sending it"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output on stderr")
    parser.add_argument(
        "--json", action="store_true", help="print outputs as one JSON object (local runs)"
    )
    parser.add_argument("--platform", choices=PLATFORMS, help="override CI platform detection")
    parser.add_argument("-C", "--working-directory", metavar="DIR", help="run as if started in DIR")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in REGISTRY:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    redact.reset()
    parser = build_parser()
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.json:
        env["CIBRIDGE_OUTPUT_FORMAT"] = "json"
    log.set_verbose(args.verbose)
    platform = detect(env, forced=args.platform)
    redact.on_register(platform.mask)
    for name in redact.SECRET_ENV:
        for value in env.get(name, "").split(","):  # CIBRIDGE_KEY may hold several keys
            redact.register(value.strip())
    handler: Handler = args.handler
    try:
        if args.working_directory and not os.path.isdir(args.working_directory):
            raise CibridgeError(f"working directory {args.working_directory} does not exist")
        return handler(Runtime(args, env, platform))
    except CibridgeError as error:
        platform.error(str(error))
        if args.verbose:
            import traceback

            platform.print_err("".join(traceback.format_exc()))
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the last line of defence: redact, report, never a bare trace
        import traceback

        platform.error(f"internal error: {type(error).__name__}: {error}")
        platform.print_err(
            "".join(traceback.format_exc())
            + "This is a bug in cibridge; please report it with the output above."
        )
        return EXIT_FAILURE


def main_entry() -> None:
    sys.exit(main())
