from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.discord_rules import body_errors
from cibridge.notify.providers.discord_limits import fit
from tests.github_job import github_env, outputs

HOSTILE = "@everyone <@&1180000000000000999> <@1180000000000000998> **b** [x](https://evil.example)"


def env_for(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        "DISCORD_WEBHOOK_URL": stand_ins.env()["DISCORD_WEBHOOK_URL"],
        **extra,
    }


def _printed(result) -> str:  # type: ignore[no-untyped-def]
    """What a run printed, less the lines telling the runner what to mask."""
    return "\n".join(x for x in result.all.splitlines() if not x.startswith("::add-mask::"))


def _notify(cli, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return cli("notify", "--to", "discord", *args, env=env)


def test_an_embed_with_the_status_colour_arrives_and_its_id_is_an_output(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "failure")
    assert result.code == 0, result.all
    [received] = stand_ins.of("discord")
    assert received.status == 200 and "wait=true" in received.path
    [embed] = received.json["embeds"]
    assert embed["color"] == 0xE01E5A and embed["title"].startswith("❌ Build · acme/checkout")
    assert {"name": "Status", "value": "Failed", "inline": True} in embed["fields"]
    # The hostile commit of the push arrives as text: markdown escaped, nothing evaluated.
    assert 'Fix "quotes" and \\`ticks\\` {{ 7\\*7 }}' in embed["description"]
    answer = json.loads(received.answer)
    assert outputs(tmp_path)["message-id"] == answer["id"]
    assert received.json["allowed_mentions"] == {"parse": [], "users": [], "roles": []}


def test_a_commit_that_mentions_everyone_pings_nobody(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "pings.yml.j2"
    template.write_text('content: "{{ summary }}"\n')
    env = env_for(stand_ins, tmp_path)
    result = _notify(
        cli, env, "--status", "success", "--template", str(template), "--set", f"summary={HOSTILE}"
    )
    assert result.code == 0, result.all
    answer = json.loads(stand_ins.of("discord")[0].answer)
    assert answer["content"] == HOSTILE
    assert (answer["mentions"], answer["mention_roles"], answer["mention_everyone"]) == (
        [],
        [],
        False,
    )


def test_configured_mentions_ping_on_failure_only(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {discord: '1180000000000000777'}\n"
        "integration_configs:\n  communication:\n    discord:\n"
        "      mention_roles: ['1180000000000000555']\n"
    )
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--status", "success").code == 0
    assert _notify(cli, env, "--status", "failure").code == 0
    success, failure = (json.loads(r.answer) for r in stand_ins.of("discord"))
    assert success["mentions"] == [] and success["mention_roles"] == []
    assert failure["mentions"] == [{"id": "1180000000000000777"}]
    assert failure["mention_roles"] == ["1180000000000000555"]
    assert failure["content"] == "<@1180000000000000777> <@&1180000000000000555>"


def test_update_in_place_edits_the_message(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--event", "deploy", "--status", "running").code == 0
    first = json.loads(stand_ins.of("discord")[0].answer)["id"]
    result = _notify(cli, env, "--event", "deploy", "--status", "success", "--update", first)
    assert result.code == 0, result.all
    edit = stand_ins.of("discord")[1]
    assert edit.method == "PATCH" and edit.path.endswith(f"/messages/{first}")
    assert "wait" not in edit.path
    [discord] = [s for s in stand_ins.services if s.name == "discord"]
    kept = discord.messages[first]  # type: ignore[attr-defined]
    assert kept["embeds"][0]["title"].startswith("✅") and kept["edited_timestamp"]
    assert len(discord.messages) == 1  # type: ignore[attr-defined]
    assert outputs(tmp_path)["message-id"] == first


def test_update_of_an_unknown_message_says_so(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success", "--update", "42")
    assert result.code == 1
    assert "Unknown Message (code 10008)" in result.all
    assert "--update names a message this webhook did not post" in result.all


def test_threads_and_forum_posts(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.discord_forum = True
    env = env_for(stand_ins, tmp_path)
    refused = _notify(cli, env, "--status", "success")
    assert refused.code == 1 and "code 220001" in refused.all and "--thread" in refused.all
    assert _notify(cli, env, "--status", "success", "--thread", standins.DISCORD_THREAD).code == 0
    in_thread = stand_ins.of("discord")[1]
    assert f"thread_id={standins.DISCORD_THREAD}" in in_thread.path
    assert json.loads(in_thread.answer)["channel_id"] == standins.DISCORD_THREAD
    posted = _notify(cli, {**env, "DISCORD_THREAD_NAME": "Release 1.4"}, "--status", "running")
    assert posted.code == 0, posted.all
    post = stand_ins.of("discord")[2]
    assert post.json["thread_name"] == "Release 1.4"
    # An edit in a thread names the thread, or Discord does not find the message.
    message = json.loads(in_thread.answer)["id"]
    edited = _notify(
        cli, env, "--status", "failure", "--update", message, "--thread", standins.DISCORD_THREAD
    )
    assert edited.code == 0, edited.all


def test_an_unknown_thread_is_reported(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success", "--thread", "7")
    assert result.code == 1
    assert "Unknown Channel (code 10003)" in result.all


def test_a_wrong_token_names_the_fix(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = stand_ins.env()["DISCORD_WEBHOOK_URL"].replace(standins.DISCORD_TOKEN, "nope")
    result = _notify(
        cli, env_for(stand_ins, tmp_path, DISCORD_WEBHOOK_URL=url), "--status", "success"
    )
    assert result.code == 1
    assert (
        "Invalid Webhook Token (code 50027)" in result.all and "copy the webhook URL" in result.all
    )
    assert "nope" not in _printed(result)  # the whole webhook address is a secret


def test_a_refused_form_reports_discords_message_code_and_field(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "bad.yml.j2"
    template.write_text("embeds:\n  - title: t\n    color: 99999999\n")
    result = _notify(
        cli, env_for(stand_ins, tmp_path), "--status", "success", "--template", str(template)
    )
    assert result.code == 1
    assert "Invalid Form Body (code 50035): embeds.0.color:" in result.all


def test_429_waits_as_discord_says(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.discord_rate_limited = 1
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success")
    assert result.code == 0, result.all
    assert [r.status for r in stand_ins.of("discord")] == [429, 200]


def test_429_beyond_the_wait_bound_fails_with_discords_words(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.discord_rate_limited = 1
    stand_ins.behaviour.discord_retry_after = 30.5
    env = env_for(stand_ins, tmp_path, CIBRIDGE_HTTP_MAX_WAIT="5")
    result = _notify(cli, env, "--status", "success")
    assert result.code == 1
    assert "You are being rate limited." in result.all
    assert len(stand_ins.of("discord")) == 1


def test_dry_run_shows_the_request_with_the_token_masked(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    result = cli(
        "--dry-run", "notify", "--to", "discord", "--status", "success", "--thread", "5", env=env
    )
    assert result.code == 0, result.all
    assert stand_ins.received == []
    shown = json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1])
    assert shown["method"] == "POST"
    assert shown["url"] == f"{stand_ins.base}/api/webhooks/***/***?thread_id=5&wait=true"
    assert shown["body"]["allowed_mentions"]["parse"] == []
    assert standins.DISCORD_TOKEN not in _printed(result)


def test_nothing_configured_names_the_variable(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "discord")
    assert result.code == 2
    assert "DISCORD_WEBHOOK_URL" in result.all


def _oversized() -> dict[str, object]:
    field = {"name": "n" * 300, "value": "v" * 1100, "inline": True}
    embed = {
        "title": "t" * 300,
        "description": "d" * 5000,
        "fields": [field] * 30,
        "footer": {"text": "f" * 2100},
        "author": {"name": "a" * 300},
        "color": 1,
    }
    return {"content": "c" * 2100, "embeds": [embed] * 12}


def test_the_stand_in_refuses_what_discord_refuses() -> None:
    errors = body_errors(_oversized())
    assert errors["content"]["_errors"][0]["message"] == "Must be 2000 or fewer in length."
    assert errors["embeds"]["_errors"][0]["message"] == "Must be 10 or fewer in length."
    one = body_errors({"embeds": [_oversized()["embeds"][0]]})["embeds"]["0"]  # type: ignore[index]
    assert set(one) == {"title", "description", "fields", "footer", "author"}
    total = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
    assert body_errors(total)["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    exclusive = {"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    assert "mutually exclusive" in json.dumps(body_errors(exclusive))
    empty = {"embeds": [{"fields": [{"name": "n", "value": ""}]}]}
    assert body_errors(empty)["embeds"]["0"]["fields"]["0"]["value"]["_errors"][0]["code"] == (
        "BASE_TYPE_REQUIRED"
    )


@pytest.mark.parametrize("reserve", [0, 40])
def test_fit_cuts_to_every_limit_with_a_note(reserve: int) -> None:
    fitted = fit(_oversized(), reserve=reserve)
    assert body_errors(fitted) == {}
    assert len(fitted["content"]) <= 2000 - reserve and fitted["content"].endswith("…")
    embeds = fitted["embeds"]
    assert len(embeds) == 10 and embeds[-1]["description"] == "(3 more embeds not shown)"
    assert len(embeds[0]["fields"]) == 25
    assert embeds[0]["fields"][-1]["value"] == "6 more not shown"
    assert embeds[0]["title"].endswith("…")


def test_fit_leaves_a_message_within_the_limits_as_it_was() -> None:
    message = {
        "embeds": [{"title": "t", "description": "d", "fields": [{"name": "n", "value": "v"}]}]
    }
    assert fit(message) == message
    assert fit({"embeds": [{"title": "t", "description": "", "url": ""}]}) == {
        "embeds": [{"title": "t"}]
    }


def test_a_2048_commit_push_is_cut_not_refused(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**env_for(stand_ins, tmp_path), **github_env(tmp_path, "github_push_2048.json.gz")}
    result = _notify(cli, env, "--status", "success")
    assert result.code == 0, result.all
    assert "… and 2038 more" in stand_ins.of("discord")[0].json["embeds"][0]["description"]
