"""Mattermost through `cibridge notify`: the webhook, the REST API (post, update, thread),
the post limit, inert mentions and the server's error bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cibridge.demo.standins import MATTERMOST_CHANNELS, MATTERMOST_TOKEN, StandIns, pings
from cibridge.notify.providers import mattermost
from tests.conftest import FIXTURES
from tests.github_job import github_env, outputs

CHANNEL = MATTERMOST_CHANNELS["deployments"]


def _api(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        "MATTERMOST_TOKEN": MATTERMOST_TOKEN,
        "MATTERMOST_URL": f"{stand_ins.base}/mattermost",
        "MATTERMOST_CHANNEL": CHANNEL,
        **extra,
    }


def _posts(stand_ins: StandIns) -> list[dict[str, Any]]:
    return list(stand_ins.behaviour.mattermost_posts.values())


def test_the_webhook_posts_an_attachment_with_the_hostile_commit_as_text(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **stand_ins.env()}
    result = cli("notify", "--status", "success", "--to", "mattermost", env=env)
    assert result.code == 0, result.all
    [received] = stand_ins.of("mattermost")
    assert (received.status, received.answer) == (200, b"ok")
    body = received.json
    assert body["text"].startswith("✅ Build · acme/checkout")
    [attachment] = body["attachments"]
    assert attachment["color"] == "#2EB67D"
    assert {"title": "Status", "value": "Succeeded", "short": True} in attachment["fields"]
    # the push's hostile commit is text: Markdown escaped, nothing run or expanded
    assert 'Fix "quotes" and \\`ticks\\` {{ 7\\*7 }}' in attachment["text"]
    [post] = _posts(stand_ins)
    assert post["props"]["attachments"] == body["attachments"]


def test_mentions_in_commit_text_are_inert_and_the_configured_one_pings(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    event = json.loads((FIXTURES / "github_push.json").read_text())
    event["commits"][-1]["message"] = "@channel @all @here hi @mona and @Bob.Smith"
    event["commits"][-1]["author"]["name"] = "@here"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {mattermost_username: mona.lisa}\n"
    )
    env = {**github_env(tmp_path), "GITHUB_EVENT_PATH": str(path), **stand_ins.env()}
    result = cli("--config", str(tmp_path / ".cibridge.yml"), "notify", "--status", "failure",
                 "--to", "mattermost", "--set", "summary=@all look", env=env)  # fmt: skip
    assert result.code == 0, result.all
    [post] = _posts(stand_ins)
    assert pings(post) == {"mona.lisa"}
    assert post["message"].endswith(" · cc @mona.lisa")
    # the words are all there, readable; only the @ no longer starts a mention
    text = post["props"]["attachments"][0]["text"]
    assert "@\u2060channel @\u2060all @\u2060here hi @\u2060mona" in text


def test_the_stand_in_would_ping_an_unescaped_mention() -> None:
    """The check above could fail: the stand-in finds mentions where the server would."""
    post = {
        "message": "ok `@here` then @all",
        "props": {"attachments": [{"text": "x@y.z (email) @Bob.", "fields": [{"value": "@z"}]}]},
    }
    assert pings(post) == {"all", "bob", "z"}


def test_the_api_posts_updates_in_place_and_keeps_what_the_first_post_said(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path)
    first = cli("notify", "--status", "running", "--to", "mattermost", "--event", "deploy",
                "--set", "environment=staging", env=env)  # fmt: skip
    assert first.code == 0, first.all
    found = outputs(tmp_path)
    post_id = found["message-id"]
    assert found["channel-id"] == CHANNEL and len(post_id) == 26
    posted = stand_ins.behaviour.mattermost_posts[post_id]
    assert posted["props"]["cibridge_notify"]["environment"] == "staging"
    second = cli("notify", "--status", "success", "--to", "mattermost", "--event", "deploy",
                 "--update", post_id, env=env)  # fmt: skip
    assert second.code == 0, second.all
    methods = [(r.method, r.path.removeprefix("/mattermost")) for r in stand_ins.of("mattermost")]
    assert methods == [
        ("POST", "/api/v4/posts"),
        ("GET", f"/api/v4/posts/{post_id}"),
        ("PUT", f"/api/v4/posts/{post_id}/patch"),
    ]
    [post] = _posts(stand_ins)
    assert post["edit_at"] and post["message"].startswith("✅ Deployment · acme/checkout → staging")


def test_a_thread_reply_names_its_root(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path)
    assert cli("notify", "--status", "running", "--to", "mattermost", env=env).code == 0
    root = outputs(tmp_path)["message-id"]
    result = cli("notify", "--status", "success", "--to", "mattermost", "--thread", root, env=env)
    assert result.code == 0, result.all
    reply = stand_ins.of("mattermost")[-1].json
    assert reply["root_id"] == root and reply["channel_id"] == CHANNEL
    assert [p["root_id"] for p in _posts(stand_ins)] == ["", root]


def test_a_bad_token_reports_the_server_s_error_and_what_to_do(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path, MATTERMOST_TOKEN="wrongtoken")
    result = cli("notify", "--status", "success", "--to", "mattermost", env=env)
    assert result.code == 1
    assert "HTTP 401 Invalid or expired session, please login again." in result.all
    assert "api.context.session_expired.app_error" in result.all
    assert "bot account's access token" in result.all
    # the server echoes the token in detailed_error; only the mask command names it
    assert "wrongtoken" not in result.all.replace("::add-mask::wrongtoken", "")


def test_a_channel_name_where_an_id_belongs_is_explained(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path)
    result = cli("notify", "--status", "success", "--to", "mattermost", "--channel",
                 "deployments", env=env)  # fmt: skip
    assert result.code == 1
    assert "Invalid or missing channel_id in request body." in result.all
    assert "not its name" in result.all


def test_update_and_thread_need_the_api(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **stand_ins.env()}
    result = cli("notify", "--status", "success", "--to", "mattermost", "--update",
                 "a" * 26, env=env)  # fmt: skip
    assert result.code == 2  # a configuration error, not a refusal
    assert "--update and --thread need the REST API" in result.all
    assert "MATTERMOST_TOKEN" in result.all
    assert stand_ins.of("mattermost") == []


def test_an_unknown_post_to_update_is_the_server_s_404(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path)
    result = cli("notify", "--status", "success", "--to", "mattermost", "--update",
                 "b" * 26, env=env)  # fmt: skip
    assert result.code == 1
    assert "HTTP 404 Unable to get the post." in result.all
    assert "could not read the post back" not in result.all  # the failure says it once


def test_a_token_without_the_server_says_which_variable_is_missing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), "MATTERMOST_TOKEN": MATTERMOST_TOKEN}
    result = cli("notify", "--status", "success", "--to", "mattermost", env=env)
    assert result.code == 2
    assert "MATTERMOST_TOKEN is set but not the server's address" in result.all
    assert "MATTERMOST_URL" in result.all


@pytest.mark.parametrize("api", [False, True])
def test_a_message_over_the_post_limit_is_cut_with_a_note(
    cli, stand_ins: StandIns, tmp_path: Path, api: bool
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path) if api else {**github_env(tmp_path), **stand_ins.env()}
    template = tmp_path / "long.yml.j2"
    template.write_text(
        'text: "{{ "x" * 20000 }}"\nattachments:\n  - text: "{{ "y" * 30000 }}"\n'
        '    fields: [{title: "{{ "t" * 10 }}", value: "{{ "v" * 9000 }}", short: true}]\n'
    )
    result = cli("notify", "--status", "success", "--to", "mattermost", "--template",
                 str(template), env=env)  # fmt: skip
    assert result.code == 0, result.all
    [post] = _posts(stand_ins)  # one post: the webhook did not have to split it
    assert len(post["message"]) == mattermost.MAX_MESSAGE
    assert post["message"].endswith("(cut to fit Mattermost's 16,383-character post limit)")
    [attachment] = post["props"]["attachments"]
    texts = [attachment["text"], attachment["fields"][0]["value"], attachment["fields"][0]["title"]]
    assert sum(len(t) for t in texts) + len(attachment["footer"]) <= mattermost.MAX_ATTACHMENTS
    assert attachment["fields"][0]["title"] == "t" * 10  # short texts are kept whole
    assert attachment["footer"].startswith("… (cut to fit")


def test_the_stand_in_refuses_a_post_one_character_over_the_limit(
    stand_ins: StandIns,
) -> None:
    from tests.demo.standins.client import send

    headers = {"Authorization": f"Bearer {MATTERMOST_TOKEN}"}
    body = {"channel_id": CHANNEL, "message": "x" * (mattermost.MAX_MESSAGE + 1)}
    over = send(stand_ins.base, "/mattermost/api/v4/posts", body, headers=headers)
    body["message"] = "x" * mattermost.MAX_MESSAGE
    at = send(stand_ins.base, "/mattermost/api/v4/posts", body, headers=headers)
    assert (over.status, over.json["id"]) == (400, "model.post.is_valid.msg.app_error")
    assert at.status == 201


def test_dry_run_shows_the_api_request_without_the_token(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _api(stand_ins, tmp_path)
    result = cli("--dry-run", "notify", "--status", "failure", "--to", "mattermost", env=env)
    assert result.code == 0, result.all
    assert f'"url": "{stand_ins.base}/mattermost/api/v4/posts"' in result.out
    assert f'"channel_id": "{CHANNEL}"' in result.out
    assert MATTERMOST_TOKEN not in result.out.replace(f"::add-mask::{MATTERMOST_TOKEN}", "")
    assert stand_ins.of("mattermost") == []
