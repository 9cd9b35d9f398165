from __future__ import annotations

import pytest

from cibridge import redact


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=abcdef123456", "abcdef123456"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecomkey99", "wecomkey99"),
        ("https://hooks.slack.com/services/T0001/B0002/XYZsecret123", "XYZsecret123"),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/0d3b-feishu-id", "0d3b-feishu-id"),
        (
            "https://x.logic.azure.com/workflows/1/triggers/manual/paths/invoke?api-version=1&sig=teamsSIG",
            "teamsSIG",
        ),
        ("https://user:p4ssw0rd@prometheus.internal/api", "p4ssw0rd"),
        ("GET https://a.example/x?a=1&token=tok123&b=2", "tok123"),
    ],
)
def test_secrets_in_urls_are_caught_by_pattern(text: str, leak: str) -> None:
    out = redact.redact(text)
    assert leak not in out
    assert "***" in out


def test_registered_secrets_longest_first() -> None:
    redact.register("abcd")
    redact.register("abcdefgh")
    assert redact.redact("x abcdefgh y abcd") == "x *** y ***"


def test_short_values_are_not_registered() -> None:
    redact.register("ab")
    assert redact.redact("ab cd") == "ab cd"


def test_listener_sees_existing_and_new_secrets() -> None:
    seen: list[str] = []
    redact.register("first-secret")
    redact.on_register(seen.append)
    redact.register("second-secret")
    assert seen == ["first-secret", "second-secret"]
