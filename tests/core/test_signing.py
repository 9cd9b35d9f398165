from __future__ import annotations

from pathlib import Path

from cibridge.core import signing
from tests.conftest import run_process

# GitHub's documented webhook example: secret, payload and expected X-Hub-Signature-256.
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_PAYLOAD = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_matches_githubs_published_example() -> None:
    assert signing.sign(GITHUB_PAYLOAD, GITHUB_SECRET) == GITHUB_SIGNATURE
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE)
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE.removeprefix("sha256="))
    assert not signing.verify(GITHUB_PAYLOAD + b" ", GITHUB_SECRET, GITHUB_SIGNATURE)


def test_sign_and_verify_commands(tmp_path: Path) -> None:
    payload = tmp_path / "body.json"
    payload.write_bytes(GITHUB_PAYLOAD)
    env = {"HOOK_SECRET": GITHUB_SECRET}
    signed = run_process("sign", str(payload), "--secret-env", "HOOK_SECRET", env=env)
    assert signed.code == 0
    assert signed.out.strip() == GITHUB_SIGNATURE
    ok = run_process(
        "verify",
        "-",
        "--secret-env",
        "HOOK_SECRET",
        "--signature",
        GITHUB_SIGNATURE,
        env=env,
        stdin=GITHUB_PAYLOAD,
    )
    assert ok.code == 0
    bad = run_process(
        "verify",
        "-",
        "--secret-env",
        "HOOK_SECRET",
        "--signature",
        "sha256=" + "0" * 64,
        env=env,
        stdin=GITHUB_PAYLOAD,
    )
    assert bad.code == 1
    assert "does not match" in bad.err


def test_missing_secret_env_is_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("sign", "-", "--secret-env", "NOPE_SECRET", stdin="x")
    assert result.code == 2
    assert "NOPE_SECRET is empty or not set" in result.err


def test_uses_constant_time_comparison(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE)
    assert calls
