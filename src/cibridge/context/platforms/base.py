"""Behaviour the platforms share: redacted printing and plain-text fallbacks."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from cibridge.core import redact
from cibridge.core.untrusted import printable


class Console:
    """Writes to one stream; every line is redacted on its way out."""

    def __init__(self, env: Mapping[str, str], stream: TextIO, err: TextIO | None = None) -> None:
        self.env = env
        self.stream = stream
        self.err = err if err is not None else sys.stderr
        self.json_outputs = env.get("CIBRIDGE_OUTPUT_FORMAT") == "json"
        self.outputs: dict[str, str] = {}
        self.closed = False

    def print(self, text: str) -> None:
        # Every line printed may carry data (a Jira summary, a commit message, a server's
        # answer): its controls are shown as escapes, so a lone \r, ESC or a GitLab section
        # marker in it is read, never obeyed. A platform's own control lines use write().
        self.write(printable(redact.redact(text)) + "\n")

    def write(self, text: str) -> None:
        """Write already-redacted text; a reader that went away (``| head``) is not an error:
        the command still finishes its work and reports through outputs and exit code."""
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            # Python would complain again when it flushes stdout at exit.
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self.stream.fileno())

    def mask(self, secret: str) -> None:
        """Only GitHub needs telling; elsewhere redaction alone keeps secrets out."""

    def print_err(self, text: str) -> None:
        self.write_err(printable(redact.redact(text)) + "\n")

    def write_err(self, text: str) -> None:
        """Write already-redacted, already-printable text to the error stream."""
        with contextlib.suppress(BrokenPipeError):
            self.err.write(text)
            self.err.flush()

    def error(self, message: str) -> None:
        self.print_err(f"error: {message}")

    def warning(self, message: str) -> None:
        self.print_err(f"warning: {message}")

    def summary(self, markdown: str) -> None:
        """Platforms without a summary page show nothing more."""

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        # Kept as given: what the command ended with, for the event stream (cibridge.events).
        self.outputs.update(outputs)
        self.emit_outputs(outputs)

    def emit_outputs(self, outputs: Mapping[str, str]) -> None:
        """Hand the outputs to the platform (each one's own way; here: printed)."""
        clean = {key: redact.redact(value) for key, value in outputs.items()}
        if self.json_outputs:
            self.print(json.dumps(clean, ensure_ascii=False, sort_keys=True))
        else:
            for key, value in clean.items():
                self.print(f"{key}={value}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.print(f"── {title}")
        yield

    @contextmanager
    def untrusted(self) -> Iterator[None]:
        yield


def append_file(path: str, variable: str, data: bytes) -> None:
    """Append to a file the runner gave us (outputs, summary, dotenv), or say why not."""
    try:
        with open(path, "ab") as handle:
            handle.write(data)
    except OSError as error:
        from cibridge.core.errors import CibridgeError

        raise CibridgeError(
            f"cannot write to {variable} ({path}): {error.strerror or error}",
            hint="the runner sets this file; check the job's disk space and that no earlier "
            "step changed its permissions",
        ) from None
