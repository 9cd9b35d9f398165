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


def test_the_webhook_secret_is_registered_for_redaction() -> None:
    from cibridge.core import redact

    assert redact.redact("secret s3cret") == "secret s3cret"
    assert check(BODY, signing.sign(BODY, "s3cret"), "SECRET", ENV) is True
    assert redact.redact("secret s3cret") == "secret ***"


@pytest.mark.parametrize("signature", ["", "  ", "sha256=00"])
def test_the_secret_is_registered_before_a_body_is_refused(signature: str) -> None:
    # A refused body still read the secret: whatever is printed next must not carry it.
    from cibridge.core import redact

    with pytest.raises(CibridgeError):
        check(BODY, signature, "SECRET", {"SECRET": "hunter22"})
    assert redact.redact("hunter22") == "***"


def test_no_secret_no_registration() -> None:
    from cibridge.core import redact

    with pytest.raises(CibridgeError):
        check(BODY, "sha256=00", "MISSING", {"OTHER": "hunter22"})
    assert redact.redact("hunter22") == "hunter22"


def test_each_refusal_says_what_to_do() -> None:
    refusals = {
        ("sha256=00", "", BODY): (
            "--signature needs --secret-env NAME (the variable holding the webhook secret)",
            'e.g. --signature "$SIGNATURE" --secret-env JIRA_WEBHOOK_SECRET',
        ),
        ("sha256=00", "SECRET", None): (
            "--signature / --secret-env verify the body of --event-file; none was given",
            "pass --event-file with the exact bytes Jira sent",
        ),
        ("sha256=00", "MISSING", BODY): (
            "--secret-env MISSING: the variable is not set or empty",
            "set MISSING from the CI's secret store (the secret of the Jira webhook)",
        ),
        (" ", "SECRET", BODY): (
            "the webhook body is not signed (no --signature): refused, nothing was read or started",
            "pass the X-Hub-Signature header Jira sent, or drop --secret-env",
        ),
        ("sha256=00", "SECRET", BODY): (
            "the webhook signature does not match the body: refused, nothing was read or started",
            "check that SECRET holds the webhook's secret and that the body was passed byte "
            "for byte",
        ),
    }
    for (signature, secret_env, body), (message, hint) in refusals.items():
        with pytest.raises(CibridgeError) as raised:
            check(body, signature, secret_env, ENV)
        assert (raised.value.message, raised.value.hint) == (message, hint)
