"""``cibridge secret keygen|encrypt|decrypt``: values come on stdin, never in argv."""

from __future__ import annotations

import argparse
import sys

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_OK, CibridgeError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "secret",
        help="Fernet keys and enc: values",
        description="Values are read from stdin (or a hidden prompt), never from the command "
        "line, so they stay out of shell history and process lists. CIBRIDGE_KEY holds "
        "comma-separated keys: the first encrypts, all decrypt.",
    )
    actions = parser.add_subparsers(dest="secret_action", metavar="ACTION", required=True)
    actions.add_parser("keygen", help="print a new Fernet key").set_defaults(handler=keygen)
    actions.add_parser("encrypt", help="encrypt stdin with CIBRIDGE_KEY").set_defaults(
        handler=encrypt
    )
    actions.add_parser("decrypt", help="decrypt an enc: value from stdin").set_defaults(
        handler=decrypt
    )


def _read_value(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(prompt)
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise CibridgeError(
            "no value on stdin", hint='pipe it in: printf %s "$VALUE" | cibridge secret encrypt'
        )
    return value


def keygen(runtime: Runtime) -> int:
    from cibridge.config import encryption

    sys.stdout.write(encryption.keygen() + "\n")
    return EXIT_OK


def encrypt(runtime: Runtime) -> int:
    from cibridge.config import encryption

    sys.stdout.write(encryption.encrypt(_read_value("value to encrypt: "), runtime.env) + "\n")
    return EXIT_OK


def decrypt(runtime: Runtime) -> int:
    from cibridge.config import encryption

    # Written straight to stdout: redaction would replace exactly what was asked for.
    sys.stdout.write(
        encryption.decrypt(_read_value("enc: value: ").strip(), "stdin", runtime.env) + "\n"
    )
    return EXIT_OK
