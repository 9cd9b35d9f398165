"""``cibridge sign`` and ``cibridge verify``: the HMAC of a payload file or stdin, with the
secret from a named variable."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_process
from tests.core.test_signing import GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE


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
