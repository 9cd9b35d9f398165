"""The webhook signature check: constant-time, before anything else, exit 1 on refusal."""

from __future__ import annotations

import pytest

from cibridge.core import signing
from cibridge.core.errors import CibridgeError
from cibridge.trigger.signature import check

BODY = b'{"issue": {"key": "PROJ-1"}}'
ENV = {"SECRET": "s3cret"}


def test_no_signature_asked_for() -> None:
    assert check(BODY, "", "", ENV) is False


def test_a_matching_signature() -> None:
    assert check(BODY, signing.sign(BODY, "s3cret"), "SECRET", ENV) is True
    assert check(BODY, signing.sign(BODY, "s3cret").removeprefix("sha256=").upper(), "SECRET", ENV)


@pytest.mark.parametrize(
    ("signature", "secret_env", "body", "env", "code", "message"),
    [
        (signing.sign(BODY, "other"), "SECRET", BODY, ENV, 1, "does not match"),
        (signing.sign(BODY + b" ", "s3cret"), "SECRET", BODY, ENV, 1, "does not match"),
        ("", "SECRET", BODY, ENV, 1, "not signed"),
        ("sha256=00", "", BODY, ENV, 2, "needs --secret-env"),
        ("sha256=00", "SECRET", None, ENV, 2, "none was given"),
        ("sha256=00", "MISSING", BODY, ENV, 2, "not set or empty"),
        # A blank secret is as guessable as none, even with a body signed with it.
        (signing.sign(BODY, " \t"), "BLANK", BODY, {"BLANK": " \t"}, 2, "not set or empty"),
    ],
)
def test_refusals(
    signature: str,
    secret_env: str,
    body: bytes | None,
    env: dict[str, str],
    code: int,
    message: str,
) -> None:
    with pytest.raises(CibridgeError, match=message) as raised:
        check(body, signature, secret_env, env)
    assert raised.value.exit_code == code
