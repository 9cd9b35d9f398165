"""Every built-in template keeps hostile values inert in its provider's markup.

Each payload is rendered twice: with ordinary values and with hostile ones that have the
same shape (the same fields set, the same URLs usable as links). The hostile payload must
have the same structure and exactly the same links, mentions and markup as the ordinary
one: anything more was injected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from cibridge.context import sample as sample_context
from cibridge.notify import message
from cibridge.render import engine as render
from cibridge.render import labels
from cibridge.render.filters import safe_url

PROVIDERS = (
    "slack",
    "dingtalk",
    "feishu",
    "wecom",
    "teams",
    "webhook",
    "mattermost",
    "discord",
    "email",
    "telegram",
    "google_chat",
)
HTML_PROVIDERS = ("telegram", "google_chat")  # their markup is HTML, not Markdown
EVENTS = ("build", "deploy", "alert")
EVIL = "https://evil.example"


def _commit(sha: str, text: str, author: str, url: str) -> dict[str, Any]:
    return {
        "sha": sha,
        "short_sha": sha[:8],
        "message": f"{text}\n\nbody",
        "title": text,
        "author": {"name": author, "login": "x", "email": ""},
        "url": url,
        "timestamp": "",
    }


ORDINARY: dict[str, Any] = {
    "service_name": "checkout",
    "environment": "production",
    "environment_url": "https://checkout.example/",
    "summary": "Release 1.4",
    "version": "v1.4.2",
    "actor": "mona",
    "repository_url": "mailto:ops@example.com",  # not a web URL: shown without a link
    "run_url": "https://ci.example/run/1",
    "alert_name": "HighErrorRate",
    "severity": "critical",
    "description": "Error rate above 5%",
    "branch": "main",
    "tag": "v1.4.2",
    "commits": [
        _commit("9fceb02d0ae5", "Fix rounding", "Mona", "https://git.example/c/1"),
        _commit("3e2b8f6c1d0a", "Add guard", "Li", "ftp://git.example/c/2"),
    ],
}
HOSTILE: dict[str, Any] = {
    "service_name": f"<!channel> [pwn]({EVIL}/s) *b* <@U0EVIL> &amp;",
    "environment": f"prod) [pwn]({EVIL}/e) <!here>",
    "environment_url": f"https://a> <!channel> <{EVIL}|click",
    "summary": f"<!subteam^S1> [pwn]({EVIL}/m) <at id=all></at>\n# H\n- li\n1. one\n> quote",
    "version": f"v1 <{EVIL}|x> [y]({EVIL}/v)",
    "actor": "<@U0EVIL>",
    "repository_url": "javascript:alert(1)//",
    "run_url": f"https://ci.example/run/1) [pwn]({EVIL}/r",
    "alert_name": "<!channel>",
    "severity": f"[sev]({EVIL}/sev)",
    "description": f"<!everyone> [pwn]({EVIL}/d) <font color=red>x</font>",
    "branch": "<!here>",
    "tag": f"<{EVIL}>",
    "commits": [
        _commit(
            "<!here>0123",
            f"<!channel> [x]({EVIL}/c) <@U0EVIL>",
            f"<@U0EVIL> [a]({EVIL}/a)",
            f"https://git.example/c/1> <!channel> <{EVIL}|z) [q]({EVIL}/q",
        ),
        _commit("<!here>4567", "`tick` *b*", "<!channel>", "javascript:alert(2)"),
    ],
}


def _variables(event: str, values: dict[str, Any], msgtype: str = "") -> dict[str, Any]:
    variables = sample_context.build().template_vars()
    variables.update(values)
    variables["status"] = "failure"
    variables["t"] = labels.for_locale("en")
    variables["msgtype"] = msgtype
    variables["message"] = message.build(event, "failure", variables, variables["t"])
    variables["message"]["mentions"] = ["U0MENTION"]
    return variables


def _payload(provider: str, event: str, values: dict[str, Any], msgtype: str = "") -> Any:
    name = f"{provider}/{event}.yml.j2"
    return render.render(name, _variables(event, values, msgtype), render.search_path(None)).data


def _skeleton(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _skeleton(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_skeleton(item) for item in node]
    return type(node).__name__


# Fields the services show as plain text (previews, headers, button captions): not parsed,
# so not escaped, and not checked for markup here.
PLAIN_KEYS = {"title", "fallback"}


def _strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("tag") == "plain_text" or node.get("type") == "Action.OpenUrl":
            return
        for k, value in node.items():
            yield from _strings(value, k)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, key)
    elif isinstance(node, str):
        yield key, node


URL_KEYS = {"url", "actionURL"}


def _slack_markup(payload: Any) -> list[str]:
    """The kind of every <...> token in the mrkdwn texts, in order."""
    texts = [payload["text"]]
    for block in payload["attachments"][0]["blocks"]:
        objects = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        texts += [o["text"] for o in objects if o and o.get("type") == "mrkdwn"]
    kinds = []
    for text in texts:
        for token in re.findall(r"<([^<>]*)>", text):
            link = re.fullmatch(r"(https?://[^\s<>|]+)\|[^<>]*", token)
            if link:
                assert "&" not in link[1].replace("&amp;", ""), token
                kinds.append("link")
            else:
                kinds.append(f"other {token}")
        assert "<!" not in text.replace("&lt;!", "")
    return kinds


_MD_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\\\]])*)\]\(([^)]*)\)")
_MD_BLOCK = re.compile(r"(?m)^\s*(#|[-+*] |\d+[.)] |>)")


def _markdown_markup(payload: Any) -> list[str]:
    kinds = []
    for key, text in _strings(payload):
        if key in URL_KEYS or key in PLAIN_KEYS:
            continue
        for _label, url in _MD_LINK.findall(text):
            assert safe_url(url) == url, url
            assert not set(url) & set("()<> "), url
            kinds.append("link")
        kinds += [f"tag {m}" for m in re.findall(r"(?<!\\)<[^>]*>", text)]
        kinds += [f"block {m}" for m in _MD_BLOCK.findall(text)]
        assert not re.search(r"(?<!\\)\]\(" + re.escape(EVIL), text), text
    return kinds


def _html_markup(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every tag of an HTML part with its attributes' names; links must be web URLs."""
    from html.parser import HTMLParser

    found: list[tuple[str, tuple[str, ...]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, tuple(name for name, _ in attrs)))
            for name, value in attrs:
                assert name in ("href", "style"), name  # inline styles only, no src
                if name == "href":
                    assert value and safe_url(value) == value, value

    Tags().feed(text)
    return found


def _chat_html_markup(provider: str, payload: Any) -> list[str]:
    """The tags of every HTML text (Telegram's message, Google Chat's card texts), in order.
    Each text parses by Telegram's rules and each link is a web URL, so what a value holds
    stays text; Google Chat's fallback text has no < or > at all (Chat has no escape)."""
    from html import unescape

    from cibridge.demo.standins.telegram_parse import parse_html

    if provider == "telegram":
        texts = [payload["text"]]
    else:
        assert not set(payload["text"]) & set("<>"), payload["text"]
        texts = [text for key, text in _strings(payload["cardsV2"]) if key == "text"]
    kinds = []
    for text in texts:
        # Chat's card subset (b, i, u, s, a, font, br) is Telegram's less <br> and <font>,
        # which the templates write only as <br>: the same strict parser checks both.
        parse_html(text.replace("<br>", "\n") if provider == "google_chat" else text)
        for closing, name, attributes in re.findall(r"<(/?)([a-z-]+)([^>]*)>", text):
            href = re.fullmatch(r' href="([^"]*)"', attributes)
            if href:
                assert safe_url(unescape(href[1])) == unescape(href[1]), href[1]
            kinds.append(f"{closing}{name}")
    return kinds


def _button_urls(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in URL_KEYS and isinstance(v, str)]
        return found + [u for v in node.values() for u in _button_urls(v)]
    if isinstance(node, list):
        return [u for item in node for u in _button_urls(item)]
    return []


def _fields(payload: Any) -> list[str]:
    blocks = payload["attachments"][0]["blocks"]
    return [f["text"] for b in blocks for f in b.get("fields", [])]


CASES = [(p, e, "") for p in PROVIDERS for e in EVENTS] + [
    ("dingtalk", e, "actionCard") for e in EVENTS
]


@pytest.mark.parametrize(("provider", "event", "msgtype"), CASES)
def test_hostile_values_stay_text(provider: str, event: str, msgtype: str) -> None:
    ordinary = _payload(provider, event, ORDINARY, msgtype)
    hostile = _payload(provider, event, HOSTILE, msgtype)
    assert _skeleton(hostile) == _skeleton(ordinary)
    for url in _button_urls(hostile) if provider != "webhook" else []:
        assert url.startswith(("https://", "http://"))
        assert safe_url(url) == url
    if provider == "email":
        # HTML: the same tags, attributes and links; plain text: the values as they were
        assert _html_markup(hostile["html"]) == _html_markup(ordinary["html"])
        assert HOSTILE["commits"][0]["title"] in hostile["text"]
        assert "\n" not in hostile["subject"] and "\r" not in hostile["subject"]
        return
    if provider == "slack":
        assert _slack_markup(hostile) == _slack_markup(ordinary)
        assert "other @U0MENTION" in _slack_markup(hostile)
    elif provider == "webhook":
        # a webhook receives data, not markup: values arrive exactly as they were
        assert hostile["title"].endswith(
            HOSTILE["alert_name" if event == "alert" else "service_name"]
        ) or (HOSTILE["service_name"] in hostile["title"])
        assert hostile["environment"] == HOSTILE["environment"]
        assert [c["title"] for c in hostile["commits"]] == [c["title"] for c in HOSTILE["commits"]]
    elif provider in HTML_PROVIDERS:
        assert _chat_html_markup(provider, hostile) == _chat_html_markup(provider, ordinary)
    else:
        assert _markdown_markup(hostile) == _markdown_markup(ordinary)
    if provider == "mattermost":
        # Mattermost has no allowed_mentions: only the configured mention may ping
        from cibridge.demo.standins import pings

        post = {"message": hostile["text"], "props": {"attachments": hostile["attachments"]}}
        assert pings(post) == {"u0mention"}


@pytest.mark.parametrize("event", EVENTS)
def test_slack_blocks_are_valid(event: str) -> None:
    from slack_sdk.models.blocks import Block

    for values in (ORDINARY, HOSTILE):
        payload = _payload("slack", event, values)
        for block in payload["attachments"][0]["blocks"]:
            Block.parse(block).validate_json()  # type: ignore[union-attr]


def test_the_reported_slack_injection() -> None:
    values = {**ORDINARY, "environment_url": "https://a> <!channel> <https://evil"}
    payload = _payload("slack", "deploy", values)
    environment = next(f for f in _fields(payload) if f.startswith("*Environment:*"))
    assert environment == (
        "*Environment:*\n<https://a%3E%20%3C!channel%3E%20%3Chttps://evil|production>"
    )
    buttons = payload["attachments"][0]["blocks"][-1]["elements"]
    assert buttons[-1]["url"] == "https://a%3E%20%3C!channel%3E%20%3Chttps://evil"


def test_non_web_links_become_plain_text() -> None:
    values = {**ORDINARY, "environment_url": "javascript:alert(1)"}
    slack = _payload("slack", "deploy", values)
    assert "*Environment:*\nproduction" in _fields(slack)
    labels_shown = [b["text"]["text"] for b in slack["attachments"][0]["blocks"][-1]["elements"]]
    assert "Open environment" not in labels_shown
    dingtalk = _payload("dingtalk", "deploy", values)["markdown"]["text"]
    assert "javascript" not in dingtalk
    assert "**Environment**: production" in dingtalk


def test_commit_text_in_slack_is_escaped_after_truncation() -> None:
    values = {**ORDINARY, "commits": [_commit("a" * 12, "x" * 149 + "&", "M", "")]}
    blocks = _payload("slack", "build", values)["attachments"][0]["blocks"]
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    text = next(t for t in texts if t.startswith("*Commits"))
    assert "x" * 149 + "&amp;" in text  # cut first, then escaped: no half entity


def _rendered(provider: str, event: str, status: str, locale: str) -> tuple[str, dict[str, str]]:
    variables = sample_context.build().template_vars({"status": status})
    variables["t"] = t = labels.for_locale(locale)
    variables["msgtype"] = ""
    variables["message"] = message.build(event, status, variables, t)
    name = f"{provider}/{event}.yml.j2"
    data = render.render(name, variables, render.search_path(None)).data
    return json.dumps(data, ensure_ascii=False), t


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize(("provider", "event"), [(p, e) for p in PROVIDERS for e in EVENTS])
def test_a_running_message_has_started_and_nothing_finished(
    provider: str, event: str, locale: str
) -> None:
    text, t = _rendered(provider, event, "running", locale)
    assert t["finished"] not in text and t["duration"] not in text
    assert t["state_running"] in text
    if event != "alert":  # an alert's only time is when it started
        assert t["started"] in text
    done, _ = _rendered(provider, event, "success", locale)
    assert t["state_success"] in done
    if event != "alert":
        assert t["finished"] in done


def test_a_running_webhook_event_has_no_finish_time() -> None:
    running, _ = _rendered("webhook", "deploy", "running", "en")
    assert json.loads(running)["finished_at"] == ""
    assert json.loads(_rendered("webhook", "deploy", "success", "en")[0])["finished_at"]
