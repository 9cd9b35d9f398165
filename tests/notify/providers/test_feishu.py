"""Feishu/Lark, WeCom, Microsoft Teams and the generic signed webhook."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.notify.providers.feishu import sign as feishu_sign
from tests.conftest import run_process
from tests.github_job import github_env


def test_feishu_signature_vector() -> None:
    # printf '' | openssl dgst -sha256 -mac HMAC -macopt key:"$(printf '1700000000\nfsecret')" -binary | base64
    assert feishu_sign("fsecret", 1700000000) == "HLzt7YDW5Xjz5Mh4RVOd0NRODMm01O79OcTFVCyWBbQ="


def test_feishu_signed_card(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in stand_ins.env().items() if k.startswith("FEISHU")}
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "feishu",
        "--status",
        "failure",
        env={**github_env(tmp_path), **env},
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("feishu")
    body = received.json
    assert abs(int(body["timestamp"]) - time.time()) < 60
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["template"] == "red"
    assert json.loads(received.answer)["code"] == 0


def test_feishu_bad_signature_code_19021(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {"FEISHU_WEBHOOK_URL": stand_ins.env()["FEISHU_WEBHOOK_URL"], "FEISHU_SECRET": "wrong"}
    result = cli("notify", "--status", "success", "--to", "feishu", env=env)
    assert result.code == 1
    assert "Feishu rejected the message: code 19021" in result.err
    assert "FEISHU_SECRET" in result.err


def test_wecom_markdown_with_mentions_and_byte_limit(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    when: always\n    users:\n      mona: {wecom: MonaLi}\n"
    )
    env = {**github_env(tmp_path), "WECOM_WEBHOOK_URL": stand_ins.env()["WECOM_WEBHOOK_URL"]}
    result = cli(
        "notify", "--status", "success", "--to", "wecom", "--set", "summary=" + "企" * 3000, env=env
    )
    assert result.code == 0, result.all
    content = stand_ins.of("wecom")[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.startswith("**✅ Build")


def test_wecom_mentions_appended(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {wecom: MonaLi}\n"
    )
    env = {**github_env(tmp_path), "WECOM_WEBHOOK_URL": stand_ins.env()["WECOM_WEBHOOK_URL"]}
    assert (
        cli("notify", "--status", "success", "--to", "wecom", "--status", "failure", env=env).code
        == 0
    )
    assert stand_ins.of("wecom")[0].json["markdown"]["content"].endswith("<@MonaLi>")


def test_wecom_bad_key(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {"WECOM_WEBHOOK_URL": f"{stand_ins.base}/wecom/cgi-bin/webhook/send?key=nope"}
    result = cli("notify", "--status", "success", "--to", "wecom", env=env)
    assert result.code == 1
    assert "errcode 93000" in result.err and "key is invalid" in result.err


def test_teams_adaptive_card(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **github_env(tmp_path, "github_push_2048.json.gz"),
        "TEAMS_WEBHOOK_URL": stand_ins.env()["TEAMS_WEBHOOK_URL"],
    }
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "teams",
        "--event",
        "deploy",
        "--set",
        "environment=prod",
        env=env,
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("teams")
    assert received.status == 202
    assert len(received.raw) <= 28 * 1024
    card = received.json["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_teams_bad_signature(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {"TEAMS_WEBHOOK_URL": f"{stand_ins.base}/teams/workflows/run?sig=wrong"}
    result = cli("notify", "--status", "success", "--to", "teams", env=env)
    assert result.code == 1
    assert "HTTP 401" in result.err and "sig=" in result.err


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


def test_teams_mentions_on_failure(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {teams: mona@example.com}\n"
    )
    env = {**github_env(tmp_path), "TEAMS_WEBHOOK_URL": stand_ins.env()["TEAMS_WEBHOOK_URL"]}
    assert (
        cli("notify", "--status", "success", "--to", "teams", "--status", "failure", env=env).code
        == 0
    )
    [received] = stand_ins.of("teams")
    assert received.status == 202
    card = received.json["attachments"][0]["content"]
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>mona@example.com</at>",
            "mentioned": {"id": "mona@example.com", "name": "mona@example.com"},
        }
    ]
    assert card["body"][-1]["text"] == "cc <at>mona@example.com</at>"
