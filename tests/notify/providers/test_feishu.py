"""Feishu/Lark through `cibridge notify`: the signature, the signed card, its errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cibridge.demo.standins import StandIns
from cibridge.notify.providers.feishu import sign as feishu_sign
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
