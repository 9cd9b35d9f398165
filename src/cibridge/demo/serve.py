"""Serve every stand-in on loopback until told to stop: ``cibridge standins``.

A person trying the actions locally, or a test running the docs' examples, needs the
services up in another process and their addresses and tokens as ``NAME=value`` lines
(the variables' real names, so ``eval``, ``$GITHUB_ENV`` and ``act --env-file`` take
them as they are).
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from cibridge.demo import standins


def environment(stand_ins: standins.StandIns) -> dict[str, str]:
    """Every address and credential the commands and actions need for these stand-ins."""
    env = stand_ins.env()
    # The services' own env() names the webhook side; the API sides need a token too,
    # which the stand-ins accept by these fixed values.
    env.update(
        {
            "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
            "SLACK_API_URL": f"{stand_ins.base}/slack/api",
            "GITHUB_TOKEN": standins.GITHUB_API_TOKEN,
            "GITLAB_TOKEN": standins.GITLAB_API_TOKEN,
        }
    )
    return env


def lines(env: dict[str, str], *, quote: bool) -> str:
    """``NAME=value`` lines; quoted for ``eval``, bare for env files (act, $GITHUB_ENV)."""
    return "".join(f"{k}={shlex.quote(v) if quote else v}\n" for k, v in env.items())


def serve(
    emit: Callable[[str], None],
    *,
    seconds: float | None,
    env_file: Path | None,
    stop: threading.Event | None = None,
) -> None:
    """Start the stand-ins, announce them, and hold them up until ``stop`` or the time."""
    stop = stop or threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM (a test's or a job's cleanup) ends the run as cleanly as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        with standins.StandIns() as stand_ins:
            env = environment(stand_ins)
            if env_file is not None:
                env_file.write_text(lines(env, quote=False), encoding="utf-8")
            emit(lines(env, quote=True))
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait(seconds)
    finally:
        signal.signal(signal.SIGTERM, previous)
