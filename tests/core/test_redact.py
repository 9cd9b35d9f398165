from __future__ import annotations

import pytest

from cibridge.core import redact


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


def test_every_encoded_form_of_a_secret_is_masked() -> None:
    secret = "s3cr3t/with+chars=="
    redact.register(secret)
    for shown in (
        secret,
        "s3cr3t%2Fwith%2Bchars%3D%3D",  # quote(safe="")
        "s3cr3t/with%2Bchars%3D%3D",  # quote()
        "s3cr3t%2Fwith%2Bchars%3D%3D",
    ):
        assert "s3cr3t" not in redact.redact(f"x {shown} y"), shown


def test_json_escaped_and_line_forms() -> None:
    redact.register('pa"ss\\word\nsecond-line-9')
    assert redact.redact('{"v": "pa\\"ss\\\\word\\nsecond-line-9"}') == '{"v": "***"}'
    assert "second-line-9" not in redact.redact("only second-line-9 leaked")


def test_webhook_url_parts_are_registered() -> None:
    url = "https://hooks.example.com/workflows/abcdef0123456789abcd/run?sp=%2Fx&sig=SIGVALUE99"
    redact.register_url(url, whole_url_secret=True)
    echoed = "404: no workflow abcdef0123456789abcd (path /workflows/abcdef0123456789abcd/run)"
    assert "abcdef0123456789abcd" not in redact.redact(echoed)
    assert "SIGVALUE99" not in redact.redact("sig was SIGVALUE99")


def test_api_url_keeps_its_path_but_not_its_credentials() -> None:
    redact.register_url(
        "https://bob:hunter2-pw@jira.example.com/rest?api_token=tok-777", whole_url_secret=False
    )
    shown = redact.redact("GET https://jira.example.com/rest/api/3 hunter2-pw tok-777")
    assert "jira.example.com/rest/api/3" in shown
    assert "hunter2-pw" not in shown and "tok-777" not in shown


def test_credential_query_names() -> None:
    for name in ("api_token", "X-Amz-Signature", "client_secret", "apikey", "sig"):
        assert "VALUE123" not in redact.redact(f"https://h/p?a=1&{name}=VALUE123&b=2"), name
    assert redact.redact("https://h/p?page=2") == "https://h/p?page=2"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("hint: set it (https://h/p?token=abc123).", "hint: set it (https://h/p?token=***)."),
        ("(see https://h/p?a=1&sig=abc123)", "(see https://h/p?a=1&sig=***)"),
        ("https://h/p?token=abc123, then retry", "https://h/p?token=***, then retry"),
        ("https://h/p?token=a.b)c&x=1", "https://h/p?token=***&x=1"),
        (
            "set DINGTALK_WEBHOOK_URL (https://oapi.dingtalk.com/robot/send?access_token=...) ",
            "set DINGTALK_WEBHOOK_URL (https://oapi.dingtalk.com/robot/send?access_token=...) ",
        ),
    ],
)
def test_a_masked_query_value_leaves_the_punctuation_after_it(text: str, shown: str) -> None:
    assert redact.redact(text) == shown


def test_a_secret_with_a_space_is_masked_percent_encoded() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret with a space or
    a slash is also masked in its percent-encoded form."""
    redact.register("my secret/path")
    assert redact.redact("GET /hooks/my%20secret%2Fpath") == "GET /hooks/***"


def test_too_short_secrets_register_no_encoded_form_either() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret too short to
    register adds no encoded form either."""
    redact.register("a b")  # three characters: too short to mask without masking words
    assert redact.redact("a%20b and a b") == "a%20b and a b"


def test_a_whole_webhook_url_is_masked_whole() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a webhook URL registered
    as a whole secret is masked whole."""
    url = "https://hooks.example.com/x1?v=1"
    redact.register_url(url, whole_url_secret=True)
    assert redact.redact(f"posting to {url} now") == "posting to *** now"


@pytest.mark.parametrize(
    "name",
    ["code", "session_id", "X-Amz-Credential", "cookie", "sign", "sig", "access_token", "pwd",
     "assignee", "design", "signal", "page", "barcode"],
)  # fmt: skip
def test_the_redactor_and_the_config_agree_on_credential_names(name: str) -> None:
    # The redactor missed code=, session= and X-Amz-Credential= that the config masks, and
    # masked assignee= and design= (a JQL search URL) that the config shows.
    from cibridge.config.loader import mask_credentials
    from cibridge.core.credentials import is_credential_name

    url = f"https://h/p?a=1&{name}=VALUE123&b=2"
    masked = "VALUE123" not in redact.redact(url)
    assert masked == ("VALUE123" not in mask_credentials(url)) == is_credential_name(name)
    assert masked == (name.lower() not in ("assignee", "design", "signal", "page", "barcode"))
