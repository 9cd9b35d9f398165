"""``cibridge sign`` / ``cibridge verify``: HMAC-SHA256 in the X-Hub-Signature form."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_OK, CibridgeError, failure


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = commands.add_parser("sign", help="print sha256=<hex> HMAC of a payload")
    verify = commands.add_parser(
        "verify", help="check a sha256=<hex> signature (exit 0 match, 1 mismatch)"
    )
    for parser in (sign, verify):
        parser.add_argument("file", nargs="?", default="-", help="payload file, or - for stdin")
        parser.add_argument(
            "--secret-env",
            required=True,
            metavar="NAME",
            help="environment variable holding the shared secret",
        )
    verify.add_argument("--signature", required=True, help="sha256=<hex> as received")
    sign.set_defaults(handler=run_sign)
    verify.set_defaults(handler=run_verify)


def _payload(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as error:
        raise CibridgeError(f"cannot read payload {name}: {error.strerror}") from None


def _secret(runtime: Runtime) -> str:
    name = runtime.args.secret_env
    secret = runtime.secret_from_env(name)
    if not secret:
        raise CibridgeError(
            f"environment variable {name} is empty or not set",
            hint=f"export {name} with the webhook's shared secret",
        )
    return secret


def run_sign(runtime: Runtime) -> int:
    from cibridge.core import signing

    runtime.platform.print(signing.sign(_payload(runtime.args.file), _secret(runtime)))
    return EXIT_OK


def run_verify(runtime: Runtime) -> int:
    from cibridge.core import signing

    secret = _secret(runtime)
    if not signing.verify(_payload(runtime.args.file), secret, runtime.args.signature):
        raise failure(
            "signature does not match the payload",
            hint="sign the raw body bytes exactly as sent, with the same secret",
        )
    runtime.platform.print("signature ok")
    return EXIT_OK
