from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.notify.providers.dingtalk import sign
from tests.conftest import SEED
from tests.github_job import github_env


def env_for(stand_ins: StandIns, **extra: str) -> dict[str, str]:
    env = stand_ins.env()
    return {
        "DINGTALK_WEBHOOK_URL": env["DINGTALK_WEBHOOK_URL"],
        "DINGTALK_SECRET": env["DINGTALK_SECRET"],
        **extra,
    }


def test_signature_matches_dingtalks_documented_algorithm() -> None:
    # Vector from: printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
    assert sign("SECabc", 1700000000000) == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"


def test_signed_markdown_delivery(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        "--locale",
        "zh-CN",
        env={**github_env(tmp_path), **env_for(stand_ins)},
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("dingtalk")
    assert json.loads(received.answer) == {"errcode": 0, "errmsg": "ok"}
    query = parse_qs(urlsplit(received.path).query)
    assert abs(int(query["timestamp"][0]) - time.time() * 1000) < 60_000
    body = received.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("构建通知")
    assert "\\`ticks\\`" in body["markdown"]["text"]  # markdown in data is escaped


def test_wrong_secret_is_explained(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        env=env_for(stand_ins, DINGTALK_SECRET="SECwrong"),
    )
    assert result.code == 1
    assert "errcode 310000: sign not match" in result.err
    assert "DINGTALK_SECRET must be the robot's" in result.err


def test_keyword_security_option(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.dingtalk_keyword = "发布"
    refused = cli("notify", "--status", "success", "--to", "dingtalk", env=env_for(stand_ins))
    assert refused.code == 1
    assert "keywords not in content" in refused.err
    assert "set `keyword`" in refused.err
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    dingtalk:\n      keyword: 发布\n"
    )
    accepted = cli("notify", "--status", "success", "--to", "dingtalk", env=env_for(stand_ins))
    assert accepted.code == 0, accepted.all
    assert "发布" in stand_ins.of("dingtalk")[-1].json["markdown"]["text"]


def test_throttle_130101_is_not_hammered(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.dingtalk_per_minute = 0
    result = cli("notify", "--status", "success", "--to", "dingtalk", env=env_for(stand_ins))
    assert result.code == 1
    assert "errcode 130101" in result.err and "10 minutes" in result.err
    assert len(stand_ins.of("dingtalk")) == 1


def test_mentions_mobiles_appear_in_text_and_at(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {dingtalk_mobile: '13800000000', dingtalk_user_id: mona01}\n"
    )
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        "--status",
        "failure",
        env={**github_env(tmp_path), **env_for(stand_ins)},
    )
    assert result.code == 0, result.all
    body = stand_ins.of("dingtalk")[0].json
    assert body["at"] == {"atMobiles": ["13800000000"], "atUserIds": ["mona01"], "isAtAll": False}
    assert "@13800000000" in body["markdown"]["text"]


def test_action_card(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    dingtalk:\n      msgtype: actionCard\n"
    )
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        env={**github_env(tmp_path), **env_for(stand_ins)},
    )
    assert result.code == 0, result.all
    card = stand_ins.of("dingtalk")[0].json["actionCard"]
    assert card["btns"][0]["actionURL"] == "https://github.com/acme/checkout/actions/runs/987"


def test_byte_limit_with_long_cjk_commits(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        "--set",
        "summary=" + "长" * 12000,
        env=env_for(stand_ins),
    )
    assert result.code == 0, result.all
    assert len(stand_ins.of("dingtalk")[0].json["markdown"]["text"].encode()) <= 20_000


def test_unknown_token(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    url = f"{stand_ins.base}/dingtalk/robot/send?access_token=nope"
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        env=env_for(stand_ins, DINGTALK_WEBHOOK_URL=url),
    )
    assert result.code == 1
    assert "errcode 300001" in result.err and "does not exist" in result.err


def test_secret_from_seed_style_config(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "dingtalk-webhook-url").write_text(stand_ins.env()["DINGTALK_WEBHOOK_URL"])
    (secrets / "dingtalk-secret").write_text(standins.DINGTALK_SECRET)
    config = SEED / "integration-configs.yml"
    result = cli(
        "--config",
        str(config),
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        env={"CIBRIDGE_SECRETS_DIR": str(secrets)},
    )
    assert result.code == 0, result.all


def test_at_all_on_failure_only(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    dingtalk:\n      at_all: true\n"
    )
    assert (
        cli(
            "notify",
            "--status",
            "success",
            "--to",
            "dingtalk",
            "--status",
            "success",
            env=env_for(stand_ins),
        ).code
        == 0
    )
    assert (
        cli(
            "notify",
            "--status",
            "success",
            "--to",
            "dingtalk",
            "--status",
            "failure",
            env=env_for(stand_ins),
        ).code
        == 0
    )
    success, failure = (r.json for r in stand_ins.of("dingtalk"))
    assert "at" not in success
    assert failure["at"]["isAtAll"] is True


def test_mentions_and_keyword_are_added_to_the_body_not_in_place_of_it() -> None:
    """Unit level: prepare() keeps the rendered text and appends what DingTalk needs."""
    from cibridge.config.loader import Config
    from cibridge.notify.providers import SendOptions
    from cibridge.notify.providers.dingtalk import DingTalk
    from cibridge.notify.settings import ProviderSettings

    env = {
        "DINGTALK_WEBHOOK_URL": "https://oapi.example/robot/send?access_token=t0k3n",
        "DINGTALK_KEYWORD": "CI",
    }
    provider = DingTalk(ProviderSettings("dingtalk", Config(), env))
    payload = {"msgtype": "markdown", "markdown": {"title": "Build", "text": "### Build passed"}}
    options = SendOptions(mentions=[{"dingtalk_mobile": "13800000000"}])
    delivery = provider.prepare(payload, options)
    text = delivery.body["markdown"]["text"]
    assert text.startswith("### Build passed\n\n@13800000000")
    assert text.endswith("\n\nCI")
    assert delivery.body["at"] == {"atMobiles": ["13800000000"], "atUserIds": [], "isAtAll": False}
    assert payload["markdown"]["text"] == "### Build passed"  # the rendered payload is not mutated
    plain = provider.prepare({"msgtype": "text", "text": {"content": "CI done"}}, SendOptions())
    assert plain.body == {"msgtype": "text", "text": {"content": "CI done"}}  # keyword present


def test_an_error_status_is_a_refusal_whatever_the_errcode_says(cli, httpserver) -> None:  # type: ignore[no-untyped-def]
    # errcode 0 under a 403 (a gateway in front of the robot) was "delivered": every other
    # peer's error status was a refusal.
    httpserver.expect_request("/robot/send").respond_with_json(
        {"errcode": 0, "errmsg": "ok"}, status=403
    )
    url = httpserver.url_for("/robot/send") + "?access_token=tok-refused-1"
    env = {"DINGTALK_WEBHOOK_URL": url, "CIBRIDGE_HTTP_RETRIES": "0"}
    result = cli("notify", "--status", "success", "--to", "dingtalk", env=env)
    assert result.code == 1, result.all
    assert "DingTalk did not take the message: HTTP 403" in result.all
