"""The generic webhook through `cibridge notify`: signed and verifiable, a wrong secret
rejected."""

from __future__ import annotations

from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.conftest import run_process
from tests.github_job import github_env


def test_generic_webhook_is_signed_and_verifiable(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in stand_ins.env().items() if k.startswith("CIBRIDGE_WEBHOOK")}
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "webhook",
        "--event",
        "deploy",
        env={**github_env(tmp_path), **env},
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("webhook")
    assert received.status == 200  # the stand-in checked the signature itself
    assert received.headers["X-Cibridge-Event"] == "deploy"
    body = received.json
    assert body["event"] == "deploy" and body["repository"] == "acme/checkout"
    assert body["commits"][0]["message"].startswith('Fix "quotes"')
    payload = tmp_path / "body.json"
    payload.write_bytes(received.raw)
    verified = run_process(
        "verify",
        str(payload),
        "--secret-env",
        "SECRET",
        "--signature",
        received.headers["X-Cibridge-Signature-256"],
        env={"SECRET": standins.WEBHOOK_SECRET},
    )
    assert verified.code == 0, verified.err


def test_generic_webhook_wrong_secret_is_rejected(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {
        "CIBRIDGE_WEBHOOK_URL": stand_ins.env()["CIBRIDGE_WEBHOOK_URL"],
        "CIBRIDGE_WEBHOOK_SECRET": "nope",
    }
    result = cli("notify", "--status", "success", "--to", "webhook", env=env)
    assert result.code == 1
    assert "HTTP 401" in result.err
