"""The built-in summary templates keep hostile job and step names inert, as notify's do:
rendered with ordinary names and with hostile ones of the same shape, the payloads have the
same structure, links and markup."""

from __future__ import annotations

from typing import Any

import pytest

from cibridge.clients.run_jobs import Job
from cibridge.render import engine as render
from cibridge.render import labels
from cibridge.summary.groups import model, summarise
from tests.templates.test_notify import (
    EVIL,
    HTML_PROVIDERS,
    ORDINARY,
    PROVIDERS,
    _chat_html_markup,
    _html_markup,
    _markdown_markup,
    _skeleton,
    _slack_markup,
    _variables,
)


def _jobs(hostile: bool) -> list[Job]:
    odd = f"<!channel> [pwn]({EVIL}/j) *b* `t` <@U0EVIL>" if hostile else "plain name"
    url = f"https://ci.example/job/1> <!here> <{EVIL}|x" if hostile else "https://ci.example/job/1"
    return [
        Job("1", f"{odd} (3.11)", "success", url, duration_seconds=3.0),
        Job("2", f"{odd} (3.12)", "failure", url, failed_step=odd, failed_step_url=url),
        Job("3", odd, "failure", url, stage=odd, failure_reason=odd, allow_failure=True),
        Job("4", "deploy", "skipped", url),
    ]


def _payload(provider: str, hostile: bool, locale: str = "en") -> Any:
    from cibridge.notify import message

    variables = _variables("summary", ORDINARY)
    variables["t"] = labels.for_locale(locale)
    variables["message"] = message.build("summary", "failure", variables, variables["t"])
    variables["run_summary"] = model(summarise(_jobs(hostile)), variables["t"], 25, 10)
    name = f"{provider}/summary.yml.j2"
    return render.render(name, variables, render.search_path(None)).data


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_job_names_stay_text(provider: str) -> None:
    ordinary, hostile = _payload(provider, False), _payload(provider, True)
    assert _skeleton(hostile) == _skeleton(ordinary)
    if provider == "slack":
        assert _slack_markup(hostile) == _slack_markup(ordinary)
    elif provider == "email":
        assert _html_markup(hostile["html"]) == _html_markup(ordinary["html"])
        assert "- ❌ <!channel> [pwn]" in hostile["text"]  # plain text: as it was
    elif provider == "webhook":
        names = [g["name"] for g in hostile["summary"]["groups"]]
        assert names[0].startswith("<!channel> [pwn]")  # data arrives as it was
    elif provider in HTML_PROVIDERS:
        assert _chat_html_markup(provider, hostile) == _chat_html_markup(provider, ordinary)
    else:
        assert _markdown_markup(hostile) == _markdown_markup(ordinary)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_slack_summary_blocks_are_valid(locale: str) -> None:
    from slack_sdk.models.blocks import Block

    for hostile in (False, True):
        for block in _payload("slack", hostile, locale)["attachments"][0]["blocks"]:
            Block.parse(block).validate_json()  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_says_it_in_chinese(provider: str) -> None:
    import json

    text = json.dumps(_payload(provider, False, "zh-CN"), ensure_ascii=False)
    assert ("运行汇总" in text and "作业" in text) or provider == "webhook"
