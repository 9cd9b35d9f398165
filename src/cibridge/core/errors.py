"""The one error type every foreseeable problem is raised as; the CLI handles it once."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BUG = 3
# Interrupted (Ctrl-C): 128 + SIGINT, what a shell reports for a process the signal ended.
EXIT_INTERRUPTED = 130
BUG_HINT = (
    "this is a bug in cibridge: please report it with the output above (run again with -v "
    "for the traceback; secrets are redacted)"
)


class CibridgeError(Exception):
    """A problem the user can act on.

    ``exit_code`` is 1 when cibridge ran and the outcome is a failure (message rejected,
    gate failed, service unreachable) and 2 for usage, configuration or missing-secret
    problems; 3 is kept for unexpected exceptions, which are not CibridgeErrors. ``hint`` says
    what to do about it.
    """

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


def failure(message: str, hint: str = "") -> CibridgeError:
    return CibridgeError(message, exit_code=EXIT_FAILURE, hint=hint)
