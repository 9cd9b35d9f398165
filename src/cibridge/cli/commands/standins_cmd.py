"""``cibridge standins``: every stand-in on loopback, its addresses and tokens printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_OK, CibridgeError


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--for wants a positive number of seconds, not {text!r}")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "standins",
        help="serve every loopback stand-in and print the variables that point at them",
        description="Starts the stand-ins (Slack, DingTalk, Feishu, WeCom, Teams, webhook, "
        "Mattermost, Discord, Telegram, Google Chat, Jira, GitHub API, GitLab API) on 127.0.0.1, "
        "prints NAME=value lines (shell-quoted) that point at them, and serves until "
        "interrupted or --for SECONDS: run it in the background (&) and read the variables "
        "from --env-file (act --secret-file, or set -a; . FILE; set +a in a shell). See "
        "docs/github-actions.md, Try the actions locally.",
    )
    parser.add_argument(
        "--for",
        dest="seconds",
        type=_seconds,
        metavar="SECONDS",
        help="stop after SECONDS (default: run until interrupted)",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="also write the variables, unquoted, to PATH (act --secret-file, $GITHUB_ENV)",
    )
    parser.set_defaults(handler=run)


def run(runtime: Runtime) -> int:
    from cibridge.demo import serve

    env_file: Path | None = runtime.args.env_file
    if env_file is not None and not env_file.parent.is_dir():
        raise CibridgeError(
            f"--env-file {env_file}: the directory {env_file.parent} does not exist",
            hint="create it, or name a file in an existing directory",
        )

    def emit(text: str) -> None:
        # Fixed values and loopback addresses, but printed raw so eval can take them.
        print(text, end="", flush=True)

    serve.serve(emit, seconds=runtime.args.seconds, env_file=env_file)
    return EXIT_OK
