from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns, slack_block_errors
from cibridge.notify.providers.slack import fit
from tests.github_job import github_env, outputs


def api_env(stand_ins: StandIns) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": standins.SLACK_TOKEN, "SLACK_API_URL": f"{stand_ins.base}/slack/api"}


def test_stand_in_validates_with_slack_sdk() -> None:
    import slack_sdk  # the strict stand-in needs it; a missing install must fail, not skip

    assert slack_sdk.version.__version__
    assert slack_block_errors(
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    )
    assert slack_block_errors(
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}] * 11}]
    )
    assert slack_block_errors([{"type": "bogus"}])
    assert not slack_block_errors([{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}])


def test_webhook_delivery_from_a_github_push(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), "SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    result = cli("notify", "--status", "success", "--to", "slack", "--status", "failure", env=env)
    assert result.code == 0, result.all
    [received] = stand_ins.of("slack")
    assert received.status == 200 and received.answer == b"ok"
    body = received.json
    assert body["text"].startswith("❌ Build · acme/checkout failed")
    assert body["attachments"][0]["color"] == "#E01E5A"
    commits_text = body["attachments"][0]["blocks"][2]["text"]["text"]
    assert 'Fix "quotes" and `ticks` {{ 7*7 }}' in commits_text  # literal, not evaluated
    assert outputs(tmp_path)["ok"] == "true"
    assert "| Slack | ✅ | delivered |" in (tmp_path / "github_summary").read_text()


def test_2048_commit_push_is_truncated_not_rejected(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {
        **github_env(tmp_path, "github_push_2048.json.gz"),
        "SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"],
    }
    result = cli("notify", "--status", "success", "--to", "slack", env=env)
    assert result.code == 0, result.all
    [received] = stand_ins.of("slack")
    assert received.status == 200
    text = json.dumps(received.json, ensure_ascii=False)
    assert "… and 2038 more" in text


def test_markup_in_data_is_escaped(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--set",
        "summary=<!channel> & <https://evil|click>",
        env=env,
    )
    assert result.code == 0, result.all
    section = stand_ins.of("slack")[0].json["attachments"][0]["blocks"][1]["text"]["text"]
    assert section == "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"


def test_api_post_update_and_thread(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    posted = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--event",
        "deploy",
        "--status",
        "running",
        "--channel",
        "#deployments",
        env=env,
    )
    assert posted.code == 0, posted.all
    ids = outputs(tmp_path)
    ts, channel = ids["message-id"], ids["channel-id"]
    assert channel == "C0DEPLOYS" and ts
    (tmp_path / "github_output").unlink()
    updated = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--event",
        "deploy",
        "--status",
        "success",
        "--channel",
        channel,
        "--update",
        ts,
        env=env,
    )
    assert updated.code == 0, updated.all
    assert outputs(tmp_path)["message-id"] == ts
    update = stand_ins.of("slack")[-1]
    assert update.path.endswith("/chat.update") and update.json["ts"] == ts
    assert stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{ts}"]["text"].startswith("✅")
    reply = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--channel",
        channel,
        "--thread",
        ts,
        env=env,
    )
    assert reply.code == 0, reply.all
    assert stand_ins.of("slack")[-1].json["thread_ts"] == ts
    assert stand_ins.of("slack")[0].headers["Authorization"] == f"Bearer {standins.SLACK_TOKEN}"


def test_channel_key_from_config_is_resolved(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    slack:\n      channels:\n        deployment-status: '#deployments'\n"
    )
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--channel",
        "deployment-status",
        env=api_env(stand_ins),
    )
    assert result.code == 0, result.all
    assert stand_ins.of("slack")[0].json["channel"] == "#deployments"


def test_update_of_unknown_message_fails_with_hint(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--channel",
        "C0DEPLOYS",
        "--update",
        "1.000",
        env=api_env(stand_ins),
    )
    assert result.code == 1
    assert "Slack rejected the message: message_not_found" in result.err
    assert "ts that is not in this channel" in result.err


def test_error_inside_http_200_fails_the_step(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    result = cli("notify", "--status", "success", "--to", "slack", "--channel", "#nope", env=env)
    assert stand_ins.of("slack")[0].status == 200
    assert result.code == 1
    assert "::error title=cibridge::Slack rejected the message: channel_not_found" in result.out
    assert outputs(tmp_path)["ok"] == "false"


def test_webhook_http_error_plain_text_body(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        env={"SLACK_WEBHOOK_URL": f"{stand_ins.base}/slack/services/T/B/revoked"},
    )
    assert result.code == 1
    assert "HTTP 403 invalid_token" in result.err


def test_bad_token(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    env = {**api_env(stand_ins), "SLACK_BOT_TOKEN": "xoxb-wrong"}
    result = cli(
        "notify", "--status", "success", "--to", "slack", "--channel", "C0DEPLOYS", env=env
    )
    assert result.code == 1
    assert "invalid_auth" in result.err and "SLACK_BOT_TOKEN" in result.err


def test_fail_on_error_false_turns_failure_into_warning(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--channel",
        "#nope",
        "--fail-on-error",
        "false",
        env=api_env(stand_ins),
    )
    assert result.code == 0
    assert "warning: Slack rejected the message: channel_not_found" in result.err
    assert "ok=false" in result.out


def test_429_is_retried_after_retry_after(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.throttle_next = 1
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        env={"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]},
    )
    assert result.code == 0, result.all
    assert [r.status for r in stand_ins.of("slack")] == [429, 200]


def test_429_beyond_retries_fails(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.throttle_next = 10
    stand_ins.behaviour.retry_after = "0"
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        env={"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]},
    )
    assert result.code == 1
    assert "HTTP 429" in result.err
    assert len(stand_ins.of("slack")) == 3  # 1 + CIBRIDGE_HTTP_RETRIES=2


def test_update_needs_the_web_api(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--update",
        "1.2",
        env={"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]},
    )
    assert result.code == 2
    assert "need the Web API" in result.err
    assert stand_ins.received == []


def test_api_without_channel_is_a_usage_error(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "slack", env=api_env(stand_ins))
    assert result.code == 2
    assert "needs a channel" in result.err


def test_nothing_configured(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "slack")
    assert result.code == 2
    assert "SLACK_WEBHOOK_URL" in result.err


def test_dry_run_sends_nothing_and_hides_the_webhook(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    url = stand_ins.env()["SLACK_WEBHOOK_URL"]
    result = cli(
        "--dry-run",
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        env={"SLACK_WEBHOOK_URL": url},
    )
    assert result.code == 0
    assert stand_ins.received == []
    shown = json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1])
    assert shown["body"]["attachments"][0]["blocks"][0]["type"] == "header"
    assert "standinhooksecret" not in result.all


def test_mentions_on_failure_only(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona@example.com: {slack: U0MONA}\n"
    )
    env = {**github_env(tmp_path), "SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    assert (
        cli("notify", "--status", "success", "--to", "slack", "--status", "success", env=env).code
        == 0
    )
    assert (
        cli("notify", "--status", "success", "--to", "slack", "--status", "failure", env=env).code
        == 0
    )
    success, failure = (json.dumps(r.json) for r in stand_ins.of("slack"))
    assert "<@U0MONA>" not in success
    assert "<@U0MONA>" in failure


@pytest.mark.parametrize("size", [1, 60])
def test_fit_enforces_block_limits(size: int) -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 400}}]
    blocks += [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "s" * 5000},
            "fields": [{"type": "mrkdwn", "text": "f" * 2500}] * 12,
        }
        for _ in range(size)
    ]
    message = fit({"blocks": blocks})
    assert len(message["blocks"]) <= 50
    assert message["text"]  # fallback always present
    assert slack_block_errors(message["blocks"]) == []
    assert len(json.dumps(message, ensure_ascii=False)) <= 12_000


def test_several_channels_get_one_message_each(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--to",
        "wecom",
        "--channel",
        "#deployments",
        "--channel",
        "#ci-cd-notifications",
        env={**env, "WECOM_WEBHOOK_URL": stand_ins.env()["WECOM_WEBHOOK_URL"]},
    )
    assert result.code == 0, result.all
    assert [r.json["channel"] for r in stand_ins.of("slack")] == [
        "#deployments",
        "#ci-cd-notifications",
    ]
    assert len(stand_ins.of("wecom")) == 1  # channels are Slack's; others get one message
    assert outputs(tmp_path)["channel-id"] == "C0DEPLOYS"  # the first one's ids
    summary = (tmp_path / "github_summary").read_text()
    assert (
        "| Slack #deployments | ✅ |" in summary
        and "| Slack #ci-cd-notifications | ✅ |" in summary
    )


def _deploy(cli, env: dict[str, str], status: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("notify", "--to", "slack", "--event", "deploy", "--status", status, *extra, env=env)


def _post_running(cli, stand_ins: StandIns, tmp_path: Path) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    sets = ["--set", "environment=production", "--set", "environment_url=https://shop.example.com"]
    posted = _deploy(cli, env, "running", "--channel", "#deployments", *sets)
    assert posted.code == 0, posted.all
    ts = outputs(tmp_path)["message-id"]
    (tmp_path / "github_output").unlink()
    return env, ts


def test_an_update_keeps_what_the_first_message_said(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env, ts = _post_running(cli, stand_ins, tmp_path)
    metadata = stand_ins.of("slack")[0].json["metadata"]
    assert metadata["event_type"] == "cibridge_notify"
    assert metadata["event_payload"]["environment_url"] == "https://shop.example.com"
    updated = _deploy(cli, env, "success", "--channel", "C0DEPLOYS", "--update", ts)
    assert updated.code == 0, updated.all
    calls = [r.path.split("?")[0].rsplit("/", 1)[-1] for r in stand_ins.of("slack")]
    assert calls == ["chat.postMessage", "conversations.history", "chat.update"]
    history = stand_ins.of("slack")[1].path
    assert history.endswith(
        f"latest={ts}&oldest={ts}&inclusive=true&limit=1&include_all_metadata=true"
    )
    update = json.dumps(stand_ins.of("slack")[2].json, ensure_ascii=False)
    assert "Deployment · acme/checkout → production succeeded" in update
    assert "<https://shop.example.com|production>" in update  # the environment, linked
    assert '"url": "https://shop.example.com"' in update  # and its button
    # kept for the next update too
    stored = stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{ts}"]["metadata"]
    assert stored["event_payload"]["environment"] == "production"


def test_an_update_says_what_changed_and_keeps_the_rest(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env, ts = _post_running(cli, stand_ins, tmp_path)
    new = ["--set", "environment_url=https://v2.shop.example.com"]
    updated = _deploy(cli, env, "failure", "--channel", "C0DEPLOYS", "--update", ts, *new)
    assert updated.code == 0, updated.all
    update = json.dumps(stand_ins.of("slack")[-1].json, ensure_ascii=False)
    assert "<https://v2.shop.example.com|production>" in update
    assert "https://shop.example.com" not in update


def test_an_update_that_cannot_read_back_still_updates_and_says_why(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env, ts = _post_running(cli, stand_ins, tmp_path)
    stand_ins.behaviour.slack_history_scope = False
    updated = _deploy(cli, env, "success", "--channel", "C0DEPLOYS", "--update", ts)
    assert updated.code == 0, updated.all
    assert stand_ins.of("slack")[-1].path.endswith("/chat.update")
    assert "conversations.history: missing_scope" in updated.all
    assert "channels:history" in updated.all and "only this step's values" in updated.all


def test_a_message_without_cibridge_metadata_is_updated_with_a_warning(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.slack_messages["C0DEPLOYS/1700000000.000100"] = {"text": "by hand"}
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    updated = _deploy(
        cli, env, "success", "--channel", "C0DEPLOYS", "--update", "1700000000.000100"
    )
    assert updated.code == 0, updated.all
    assert "carries no cibridge metadata" in updated.all


def test_a_secret_in_a_set_value_is_masked_in_the_metadata(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    posted = _deploy(
        cli, env, "running", "--channel", "#deployments", "--set", f"note={standins.SLACK_TOKEN}"
    )
    assert posted.code == 0, posted.all
    payload = stand_ins.of("slack")[0].json["metadata"]["event_payload"]
    assert payload["note"] != standins.SLACK_TOKEN and standins.SLACK_TOKEN not in json.dumps(
        payload
    )


def test_what_is_read_back_never_replaces_the_runs_own_facts(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # Metadata is data anyone with the app's token could have written.
    payload = {"service_name": "api", "status": "failure", "commits": "x", "t": "y"}
    stand_ins.behaviour.slack_messages["C0DEPLOYS/1700000000.000100"] = {
        "text": "first",
        "metadata": {"event_type": "cibridge_notify", "event_payload": payload},
    }
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    updated = _deploy(
        cli, env, "success", "--channel", "C0DEPLOYS", "--update", "1700000000.000100"
    )
    assert updated.code == 0, updated.all
    update = stand_ins.of("slack")[-1].json
    assert update["text"].startswith("✅ Deployment · api succeeded")
    assert update["metadata"]["event_payload"] == {"service_name": "api"}


def test_a_dry_run_update_reads_nothing(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **api_env(stand_ins)}
    result = _deploy(cli, env, "success", "--channel", "C0DEPLOYS", "--update", "1.0", "--dry-run")
    assert result.code == 0, result.all
    assert stand_ins.received == []
