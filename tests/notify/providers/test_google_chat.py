from __future__ import annotations

import json
from pathlib import Path

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.github_job import github_env, outputs

HOSTILE = "<users/all> <https://evil.example|click> <b>bold</b> & *x*"


def env_for(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        "GOOGLE_CHAT_WEBHOOK_URL": stand_ins.env()["GOOGLE_CHAT_WEBHOOK_URL"],
        **extra,
    }


def _notify(cli, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return cli("notify", "--to", "google_chat", *args, env=env)


def _printed(result) -> str:  # type: ignore[no-untyped-def]
    """What a run printed, less the lines telling the runner what to mask."""
    return "\n".join(x for x in result.all.splitlines() if not x.startswith("::add-mask::"))


def _answer(stand_ins: StandIns, index: int = 0) -> dict:  # type: ignore[type-arg]
    return json.loads(stand_ins.of("google_chat")[index].answer)


def test_a_card_with_a_text_fallback_arrives(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "failure")
    assert result.code == 0, result.all
    [received] = stand_ins.of("google_chat")
    body = received.json
    assert body["text"].startswith("❌ Build · acme/checkout")
    card = body["cardsV2"][0]["card"]
    assert card["header"]["title"].startswith("❌ Build")
    commits = json.dumps(card["sections"], ensure_ascii=False)
    assert 'Fix \\"quotes\\" and `ticks` {{ 7*7 }}' in commits  # the push's hostile commit
    answer = _answer(stand_ins)
    assert outputs(tmp_path)["message-id"] == answer["name"].rsplit("/", 1)[-1]
    assert outputs(tmp_path)["channel-id"] == answer["thread"]["name"].rsplit("/", 1)[-1]


def test_one_run_is_one_thread(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--event", "deploy", "--status", "running").code == 0
    # a re-run (attempt 2) of the same run joins its thread
    assert (
        _notify(
            cli, {**env, "GITHUB_RUN_ATTEMPT": "2"}, "--event", "deploy", "--status", "success"
        ).code
        == 0
    )
    assert _notify(cli, {**env, "GITHUB_RUN_ID": "988"}, "--status", "success").code == 0
    first, second, other = (_answer(stand_ins, i) for i in range(3))
    assert "threadKey=acme%2Fcheckout%23987" in stand_ins.of("google_chat")[0].path
    assert (
        "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
        in stand_ins.of("google_chat")[0].path
    )
    assert first["thread"]["name"] == second["thread"]["name"] and second["threadReply"]
    assert other["thread"]["name"] != first["thread"]["name"] and not other["threadReply"]


def test_thread_names_the_key(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--status", "success", "--thread", "release-1.4").code == 0
    assert (
        _notify(
            cli, {**env, "GITHUB_RUN_ID": "5"}, "--status", "success", "--thread", "release-1.4"
        ).code
        == 0
    )
    assert _answer(stand_ins, 0)["thread"]["name"] == _answer(stand_ins, 1)["thread"]["name"]


def test_markup_in_values_stays_text(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--set",
        f"service_name={HOSTILE}",
        "--set",
        f"summary={HOSTILE}",
    )
    assert result.code == 0, result.all
    answer = _answer(stand_ins)
    assert answer["annotations"] == []  # the <users/all> mentioned nobody
    assert "‹users/all›" in answer["text"] and "<" not in answer["text"]
    summary = answer["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]["text"]
    assert (
        summary
        == "&lt;users/all&gt; &lt;https://evil.example|click&gt; &lt;b&gt;bold&lt;/b&gt; &amp; *x*"
    )


def test_configured_mentions_on_failure(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {google_chat: '1234567890'}\n"
    )
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--status", "success").code == 0
    assert _notify(cli, env, "--status", "failure").code == 0
    assert _answer(stand_ins, 0)["annotations"] == []
    assert (
        _answer(stand_ins, 1)["annotations"][0]["userMention"]["user"]["name"] == "users/1234567890"
    )


def test_a_wrong_token_is_reported_in_googles_words(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = stand_ins.env()["GOOGLE_CHAT_WEBHOOK_URL"].replace(standins.GOOGLE_CHAT_TOKEN, "nope")
    result = _notify(
        cli, env_for(stand_ins, tmp_path, GOOGLE_CHAT_WEBHOOK_URL=url), "--status", "success"
    )
    assert result.code == 1
    assert "UNAUTHENTICATED (401): Request had invalid authentication credentials" in result.all
    assert "copy its URL again" in result.all and "nope" not in _printed(result)


def test_an_invalid_card_is_refused(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "bad.yml.j2"
    template.write_text(
        "text: hi\ncardsV2:\n  - cardId: c\n    card: {sections: [{widgets: [{bogus: {}}]}]}\n"
    )
    result = _notify(
        cli, env_for(stand_ins, tmp_path), "--status", "success", "--template", str(template)
    )
    assert result.code == 1 and "INVALID_ARGUMENT (400)" in result.all


def test_update_is_refused_before_sending(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success", "--update", "x")
    assert result.code == 2 and "a webhook cannot update a message" in result.all
    assert stand_ins.received == []


def test_dry_run_masks_the_key_and_token(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "--dry-run",
        "notify",
        "--to",
        "google_chat",
        "--status",
        "success",
        env=env_for(stand_ins, tmp_path),
    )
    assert result.code == 0, result.all
    assert stand_ins.received == []
    shown = json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1])
    assert shown["url"] == (
        f"{stand_ins.base}/v1/spaces/***/messages?key=***&token=***"
        # a parameter named *Key is masked wherever a URL is printed, this one too
        "&threadKey=***&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    )
    printed = _printed(result)
    assert standins.GOOGLE_CHAT_KEY not in printed and standins.GOOGLE_CHAT_TOKEN not in printed


def test_long_texts_are_cut_with_a_note(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "long.yml.j2"
    template.write_text(
        'text: "{{ summary }}"\ncardsV2:\n  - cardId: c\n    card:\n      sections:\n        - widgets:\n            - textParagraph: {text: "{{ summary | gchat_html }}"}\n'
    )
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--template",
        str(template),
        "--set",
        "summary=" + "x&" * 20_000,
    )
    assert result.code == 0, result.all
    received = stand_ins.of("google_chat")[0]
    assert len(received.raw) <= 32_000 and len(received.json["text"]) <= 4096
    assert received.json["text"].endswith("(cut to fit Google Chat's limits)")


def test_nothing_configured_names_the_variable(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "google_chat")
    assert result.code == 2 and "GOOGLE_CHAT_WEBHOOK_URL" in result.all
