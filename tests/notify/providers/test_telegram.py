from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.telegram_parse import parse_html, parse_markdown_v2
from cibridge.notify.providers.telegram_markup import cut_html, cut_markdown, html_length, units
from cibridge.render.filters import tg_html, tg_markdown
from tests.github_job import github_env, outputs

# Every character either markup treats specially, in one commit message.
HOSTILE = 'Fix <b>"x"</b> & <a href="https://evil.example">y</a> &amp; *b* _i_ [l](u) ~s~ `c` > # + - = | { } . ! \\ ||sp||'


def env_for(stand_ins: StandIns, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**github_env(tmp_path), **stand_ins.env(), **extra}


def _notify(cli, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return cli("notify", "--to", "telegram", *args, env=env)


def _printed(result) -> str:  # type: ignore[no-untyped-def]
    """What a run printed, less the lines telling the runner what to mask."""
    return "\n".join(x for x in result.all.splitlines() if not x.startswith("::add-mask::"))


def _sent(stand_ins: StandIns, index: int = 0) -> dict:  # type: ignore[type-arg]
    return json.loads(stand_ins.of("telegram")[index].answer)


def test_sendmessage_in_html_and_the_message_id_output(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "failure")
    assert result.code == 0, result.all
    [received] = stand_ins.of("telegram")
    assert received.path.endswith("/sendMessage")
    body = received.json
    assert body["parse_mode"] == "HTML" and body["chat_id"] == standins.TELEGRAM_CHAT
    answer = _sent(stand_ins)
    shown = answer["result"]["text"]  # what the chat shows, markup parsed away
    assert shown.startswith("❌ Build · acme/checkout")
    assert 'Fix "quotes" and `ticks` {{ 7*7 }}' in shown  # the push's hostile commit, as text
    assert outputs(tmp_path)["message-id"] == str(answer["result"]["message_id"])
    assert outputs(tmp_path)["channel-id"] == standins.TELEGRAM_CHAT


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2"])
def test_a_hostile_commit_never_breaks_the_parse(
    cli, stand_ins: StandIns, tmp_path: Path, mode: str
) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "t.yml.j2"
    escape = "tg_html" if mode == "HTML" else "tg_markdown"
    bold = ("<b>", "</b>") if mode == "HTML" else ("*", "*")
    template.write_text(
        f'parse_mode: {mode}\ntext: "{bold[0]}{{{{ summary | {escape} }}}}{bold[1]}"\n'
    )
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--template",
        str(template),
        "--set",
        f"summary={HOSTILE}",
    )
    assert result.code == 0, result.all
    assert _sent(stand_ins)["result"]["text"] == HOSTILE


def test_unescaped_markup_is_refused_with_telegrams_words(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "raw.yml.j2"
    template.write_text('text: "<b>{{ summary }}</b>"\n')  # no filter: the mistake shown
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--template",
        str(template),
        "--set",
        "summary=a <script> tag",
    )
    assert result.code == 1
    assert 'Bad Request: can\'t parse entities: Unsupported start tag "script"' in result.all
    assert "(error_code 400)" in result.all and "tg_html" in result.all


def test_an_empty_parse_mode_is_plain_text(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "plain.yml.j2"
    template.write_text('parse_mode: ""\ntext: "{{ summary }}"\n')
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--template",
        str(template),
        "--set",
        "summary=" + "<b>😀" * 1500,
    )
    assert result.code == 0, result.all
    [received] = stand_ins.of("telegram")
    assert "parse_mode" not in received.json
    shown = _sent(stand_ins)["result"]["text"]
    assert shown.startswith("<b>😀<b>") and units(shown) <= 4096
    assert shown.endswith("… cut to fit Telegram's 4,096 characters")


def test_update_in_place_with_editmessagetext(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--event", "deploy", "--status", "running").code == 0
    first = outputs(tmp_path)["message-id"]
    result = _notify(cli, env, "--event", "deploy", "--status", "success", "--update", first)
    assert result.code == 0, result.all
    edit = stand_ins.of("telegram")[1]
    assert edit.path.endswith("/editMessageText") and edit.json["message_id"] == int(first)
    assert _sent(stand_ins, 1)["result"]["text"].startswith("✅ Deployment")
    # the same again changes nothing: Telegram says so, and that is no failure
    again = _notify(cli, env, "--event", "deploy", "--status", "success", "--update", first)
    assert again.code == 0, again.all
    assert "message is not modified" in stand_ins.of("telegram")[2].answer.decode()


def test_update_of_an_unknown_message_and_a_bad_id(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    missing = _notify(cli, env, "--status", "success", "--update", "999")
    assert missing.code == 1 and "Bad Request: message to edit not found" in missing.all
    assert "did not send to this chat" in missing.all
    bad = _notify(cli, env, "--status", "success", "--update", "1700000000.123")
    assert bad.code == 2 and "must be a number" in bad.all


def test_topics_take_message_thread_id(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    result = _notify(cli, env, "--status", "success", "--thread", str(standins.TELEGRAM_TOPIC))
    assert result.code == 0, result.all
    assert stand_ins.of("telegram")[0].json["message_thread_id"] == standins.TELEGRAM_TOPIC
    wrong = _notify(cli, {**env, "TELEGRAM_THREAD_ID": "8"}, "--status", "success")
    assert wrong.code == 1 and "message thread not found" in wrong.all


def test_chat_not_found_and_a_wrong_token(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(stand_ins, tmp_path)
    lost = _notify(cli, {**env, "TELEGRAM_CHAT_ID": "-100999"}, "--status", "success")
    assert lost.code == 1 and "Bad Request: chat not found (error_code 400)" in lost.all
    wrong = _notify(
        cli, {**env, "TELEGRAM_BOT_TOKEN": "7000000001:wrong-token"}, "--status", "success"
    )
    assert wrong.code == 1 and "Unauthorized (error_code 401)" in wrong.all
    assert "wrong-token" not in _printed(wrong)


def test_ok_false_inside_http_200_is_a_failure(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def answer(request, handler) -> None:  # type: ignore[no-untyped-def]
        body = b'{"ok": false, "error_code": 400, "description": "Bad Request: odd"}'
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    stand_ins.override(f"/telegram/bot{standins.TELEGRAM_TOKEN}/sendMessage", answer)
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success")
    assert result.code == 1 and "Bad Request: odd" in result.all


def test_429_waits_parameters_retry_after(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stand_ins.behaviour.telegram_rate_limited = 1
    result = _notify(cli, env_for(stand_ins, tmp_path), "--status", "success")
    assert result.code == 0, result.all
    assert [r.status for r in stand_ins.of("telegram")] == [429, 200]
    stand_ins.behaviour.telegram_rate_limited = 1
    stand_ins.behaviour.telegram_retry_after = 90
    refused = _notify(
        cli, env_for(stand_ins, tmp_path, CIBRIDGE_HTTP_MAX_WAIT="5"), "--status", "success"
    )
    assert refused.code == 1 and "Too Many Requests: retry after 90" in refused.all


def test_dry_run_shows_the_url_with_the_token_masked(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "--dry-run",
        "notify",
        "--to",
        "telegram",
        "--status",
        "success",
        env=env_for(stand_ins, tmp_path),
    )
    assert result.code == 0, result.all
    assert stand_ins.received == []
    shown = json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1])
    assert shown["url"] == f"{stand_ins.base}/telegram/bot***/sendMessage"
    assert shown["body"]["chat_id"] == standins.TELEGRAM_CHAT
    assert standins.TELEGRAM_TOKEN.split(":")[1] not in _printed(result)


def test_mentions_on_failure(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "notify:\n  mentions:\n    users:\n      mona: {telegram: '4242'}\n"
    )
    env = env_for(stand_ins, tmp_path)
    assert _notify(cli, env, "--status", "success").code == 0
    assert _notify(cli, env, "--status", "failure").code == 0
    success, failure = (r.json["text"] for r in stand_ins.of("telegram"))
    assert "tg://user?id=4242" not in success
    assert failure.endswith('\n<a href="tg://user?id=4242">4242</a>')


def test_nothing_configured_names_the_variables(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "telegram")
    assert result.code == 2 and "TELEGRAM_BOT_TOKEN" in result.all
    chatless = cli(
        "notify", "--status", "success", "--to", "telegram", env={"TELEGRAM_BOT_TOKEN": "1:x"}
    )
    assert chatless.code == 2 and "TELEGRAM_CHAT_ID" in chatless.all


def test_a_2048_commit_push_is_cut_not_refused(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**env_for(stand_ins, tmp_path), **github_env(tmp_path, "github_push_2048.json.gz")}
    result = _notify(cli, env, "--status", "success")
    assert result.code == 0, result.all
    assert "… and 2038 more" in _sent(stand_ins)["result"]["text"]


def test_a_long_text_is_cut_whole_tags_and_entities_with_a_note(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "long.yml.j2"
    template.write_text('text: "<b>{{ summary | tg_html }}</b> <i>end</i>"\n')
    result = _notify(
        cli,
        env_for(stand_ins, tmp_path),
        "--status",
        "success",
        "--template",
        str(template),
        "--set",
        "summary=" + "&<😀" * 2000,
    )
    assert result.code == 0, result.all
    shown = _sent(stand_ins)["result"]["text"]
    assert units(shown) <= 4096 and shown.endswith("… cut to fit Telegram's 4,096 characters")


def test_escaped_values_always_parse() -> None:
    every = "".join(chr(c) for c in range(32, 127)) + "😀\n&amp;&lt;"
    assert parse_html(tg_html(every)) == every
    assert parse_markdown_v2(tg_markdown(every)) == every


@pytest.mark.parametrize("limit", [1, 10, 50, 4096])
def test_cutting_html_keeps_it_parseable_and_within_the_limit(limit: int) -> None:
    text = "<b>" + tg_html("a&b<😀>" * 800) + "</b><i>" + tg_html("tail" * 500) + "</i>"
    note = "<i>… cut</i>"
    cut = cut_html(text, max(limit, html_length(note)), note)
    assert units(parse_html(cut)) <= max(limit, html_length(note))
    assert cut.endswith(note)


@pytest.mark.parametrize("limit", [20, 100, 4096])
def test_cutting_markdown_keeps_it_parseable_and_within_the_limit(limit: int) -> None:
    text = "*" + tg_markdown("a.b!😀" * 900) + "* [" + tg_markdown("link" * 300) + "](https://e)"
    note = "_… cut_"
    cut = cut_markdown(text, limit, note)
    assert units(parse_markdown_v2(cut)) <= limit
    assert cut.endswith(note)


def test_a_short_text_is_left_as_it_was() -> None:
    assert cut_html("<b>a</b>", 10, "n") == "<b>a</b>"
    assert cut_markdown("*a*", 10, "n") == "*a*"
