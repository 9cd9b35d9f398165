from __future__ import annotations

import pytest

from cibridge.core import redact, urls
from cibridge.core.errors import CibridgeError


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/secret", "https://hooks.slack.com"),
        ("http://127.0.0.1:9/robot/send?access_token=x", "http://127.0.0.1:9"),
        ("https://user:pass@jira.example:8443/rest?x=1#frag", "https://jira.example:8443"),
        ("https://Jira.Example/x", "https://Jira.Example"),  # a prefix of the URL, as written
        ("http://[::1]:8080/x", "http://[::1]:8080"),
        ("http://host.example?q=1", "http://host.example"),
        ("http://host.example:notaport/x", "http://host.example"),
        ("http://host.example:123456/x", "http://host.example"),
    ],
)
def test_origin_is_scheme_host_and_port(url: str, shown: str) -> None:
    assert urls.origin(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://ci:pass/word@host.example/x",  # a "/" in the password ends the authority
        "https://tok/en@host.example/x",
        "hooks.example/services/x",
        "https://ho st/x",
        "https://host\n::error::forged/x",
        "",
    ],
)
def test_origin_never_echoes_what_it_cannot_read(url: str) -> None:
    shown = urls.origin(url)
    assert shown.startswith("(")
    assert not any(part in shown for part in ("pass", "word", "tok", "en@", "error", "ho st"))


def test_ensure_url_accepts_http_and_https() -> None:
    assert urls.ensure_url("https://x.example/a", "Slack webhook_url") == "https://x.example/a"
    assert urls.ensure_url("http://x.example", "Slack webhook_url") == "http://x.example"


def test_non_http_url_is_rejected_redacted() -> None:
    redact.register("file:///etc/passwd")
    with pytest.raises(CibridgeError, match="is not an http") as caught:
        urls.ensure_url("file:///etc/passwd", "Slack webhook_url")
    assert caught.value.exit_code == 2
    assert caught.value.message == "Slack webhook_url: '***' is not an http(s) URL"
    assert "https://" in caught.value.hint


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h.example/x", ("https://h.example/x", None, None)),
        ("https://u:p@h.example/x?q=1", ("https://h.example/x?q=1", "u", "p")),
        ("https://u@h.example", ("https://h.example", "u", None)),
        ("https://:tok@h.example/", ("https://h.example/", "", "tok")),
        ("https://a%40b.c:p%3Aw%2F@h.example/", ("https://h.example/", "a@b.c", "p:w/")),
        ("https://u:p@ss@h.example/x", ("https://h.example/x", "u", "p@ss")),
        ("https://h.example/a@b", ("https://h.example/a@b", None, None)),
    ],
)
def test_split_userinfo(url: str, expected: tuple[str, str | None, str | None]) -> None:
    assert urls.split_userinfo(url) == expected


def test_secret_parts_of_user_info_and_query() -> None:
    parts = urls.secret_parts(
        "https://bot:p%40ss+word@h.example/api/v1/webhooks?a=abc&token=abcd&sig=YWJjZA==#frag",
        whole_url_secret=False,
    )
    for part in ("bot:p%40ss+word", "p%40ss+word", "p@ss+word", "p@ss word", "p%2540ss%2Bword"):
        assert part in parts
    assert "bot:p@ss+word" in parts
    assert "abcd" in parts and "abc" not in parts  # query values of 4 characters and more
    # The whole value with its base64 padding, as is and percent-encoded.
    assert "YWJjZA==" in parts and "YWJjZA%3D%3D" in parts
    assert not any("webhooks" in part or "frag" in part for part in parts)
    assert all(len(part) >= 4 for part in parts)
    assert len(parts) == len(set(parts))


def test_secret_parts_of_a_webhook_address() -> None:
    url = "https://hooks.example/services/T0000/B0000/Xy+Z%2Fabcdef?x=1"
    parts = urls.secret_parts(url, whole_url_secret=True)
    assert "/services/T0000/B0000/Xy+Z%2Fabcdef" in parts
    assert "Xy+Z%2Fabcdef" in parts and "Xy+Z/abcdef" in parts and "Xy%2BZ%252Fabcdef" in parts
    assert "T0000" not in parts and "B0000" not in parts  # segments of 8 characters or more
    # Words name the route: masking "services" would blank it out of every log line.
    assert "services" not in parts
    assert "hooks.example" not in parts
    assert urls.secret_parts(url, whole_url_secret=False) == []


def test_secret_parts_mask_an_echoed_path_in_any_encoding() -> None:
    url = "https://chat.example/hook/sEcReT/t0k3n-value?key=k%2Bey%3D"
    for part in urls.secret_parts(url, whole_url_secret=True):
        redact.register(part)
    echoed = "404: no route for /hook/sEcReT%2Ft0k3n-value (key k+ey= / k%2Bey%3D / t0k3n-value)"
    shown = redact.redact(echoed)
    assert "t0k3n" not in shown and "k+ey" not in shown and "k%2Bey" not in shown


def test_long_lowercase_tokens_are_still_secret_segments() -> None:
    parts = urls.secret_parts(
        "https://h.example/hooks/abcdefghk2/incoming-webhook/XyZ", whole_url_secret=True
    )
    assert "abcdefghk2" in parts
    assert "incoming-webhook" not in parts and "XyZ" not in parts


def test_secret_parts_never_raise() -> None:
    assert urls.secret_parts("http://[::1/x?a=abcd", whole_url_secret=True)
    assert urls.secret_parts("", whole_url_secret=True) == []
