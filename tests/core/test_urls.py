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


def test_non_http_url_is_rejected_showing_only_its_scheme() -> None:
    """The message never carries the value beyond its scheme, registered secret or not (it
    used to redact through core.redact, an import cycle redact <-> urls)."""
    with pytest.raises(CibridgeError, match="not an http") as caught:
        urls.ensure_url("file:///etc/passwd-secret-part", "Slack webhook_url")
    assert caught.value.exit_code == 2
    assert caught.value.message == "Slack webhook_url: file:… is not an http(s) URL"
    assert "https://" in caught.value.hint
    with pytest.raises(CibridgeError) as caught:
        urls.ensure_url("hooks.slack.com/services/T0/B0/secretpart", "Slack webhook_url")
    assert "secretpart" not in str(caught.value)
    assert "has no scheme" in caught.value.message
    # A token in the wrong place looks like a scheme up to its first colon: none of it shows.
    with pytest.raises(CibridgeError) as caught:
        urls.ensure_url("xoxb-12345:abcdef", "Slack webhook_url")
    assert "xoxb" not in str(caught.value) and "has no scheme" in caught.value.message


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


def test_origin_of_urls_with_at_signs_ports_and_ipv6() -> None:
    """Found by mutation testing (mutmut 3): the origin of URLs with '@' in the query or
    fragment, ports and IPv6 hosts was not pinned down."""
    assert urls.origin("https://h.example/p?email=a@b.c#frag@x") == "https://h.example"
    assert urls.origin("https://h.example") == "https://h.example"
    assert urls.origin("http://[::1]:8080/x") == "http://[::1]:8080"
    assert urls.origin("http://[::1]/x") == "http://[::1]"
    assert urls.origin("https://h.example/next?to=https://evil.example") == "https://h.example"


def test_secret_parts_of_user_info_with_at_and_colon() -> None:
    """Found by mutation testing (mutmut 3): the secret parts of user info holding '@' and ':'
    were not pinned down."""
    parts = urls.secret_parts("https://bobby:p@ss:wd-99@h.example/x", whole_url_secret=False)
    assert "p@ss:wd-99" in parts and "bobby" in parts and "bobby:p@ss:wd-99" in parts


def test_secret_parts_boundaries_and_encodings() -> None:
    """Found by mutation testing (mutmut 3): the shortest path segment that counts as a token
    (8 characters) and the encoded form of a query value were not pinned down."""
    parts = urls.secret_parts("https://h.example/Ab3dE6g8/short?sp=a/b c/d", whole_url_secret=True)
    assert "Ab3dE6g8" in parts  # exactly 8 characters: long enough to be a token
    assert "short" not in parts
    assert "a%2Fb%20c%2Fd" in parts


def test_origin_ignores_at_signs_after_the_fragment_and_keeps_the_scheme() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that an '@' after the fragment
    is not user info, nor that the scheme is kept as written."""
    assert urls.origin("https://h.example/p#to@x") == "https://h.example"
    assert urls.origin("HTTPS://H.example:8443/x").lower() == "https://h.example:8443"


def test_origin_keeps_a_host_written_in_capitals() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that the origin keeps a host
    written in capitals."""
    assert urls.origin("https://HOOKS.EXAMPLE.COM/services/x") == "https://HOOKS.EXAMPLE.COM"
    assert urls.origin("https://XN--80AK6AA92E.EXAMPLE:8443/x") == (
        "https://XN--80AK6AA92E.EXAMPLE:8443"
    )


def test_user_info_with_capitals_is_split_off_and_masked() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that user info before a host
    in capitals is split off and masked."""
    url = "https://ci:s3cretXpw@EXAMPLE.COM/x"
    assert urls.split_userinfo(url) == ("https://EXAMPLE.COM/x", "ci", "s3cretXpw")
    redact.register_url(url, whole_url_secret=False)
    assert redact.redact("login s3cretXpw") == "login ***"


def test_a_webhook_url_without_a_host_still_has_its_path_masked() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a webhook URL with an
    empty host still has its path masked."""
    # A typo ("https:///...") must not turn the path into a host nobody registers.
    redact.register_url("https:///hooks/T0001/ab12cd34ef56gh78", whole_url_secret=True)
    assert redact.redact("POST /hooks/T0001/ab12cd34ef56gh78: 404") == "POST ***: 404"
    assert redact.redact("segment ab12cd34ef56gh78") == "segment ***"


def test_a_webhook_path_of_capital_letters_is_masked() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a webhook path made of
    capital letters is a secret segment."""
    redact.register_url("https://hooks.example.com/XXXXXXXXXXXX", whole_url_secret=True)
    assert redact.redact("POST /XXXXXXXXXXXX failed") == "POST *** failed"


def test_a_path_of_slashes_only_makes_no_secret() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a path made only of
    slashes registers no secret."""
    redact.register_url("https://hooks.example.com//", whole_url_secret=True)
    encoded = "see https%3A%2F%2Fdocs.example.com%2F%2Fci"
    assert redact.redact(encoded) == encoded
    assert redact.redact("a // b") == "a // b"


def test_fill_encodes_a_value_in_the_user_info_and_reads_each_part_of_the_url() -> None:
    import re

    from cibridge.core.urls import fill

    pattern = re.compile(r"<(\w+)>")
    values = {"pw": "p@ss/w:rd", "host": "h.example:8443", "path": "a b"}

    def filled(template: str) -> str:
        return fill(template, pattern, lambda m: values[m.group(1)], "w", lambda m: m.group())

    assert (
        filled("https://ci:<pw>@<host>/<path>") == "https://ci:p%40ss%2Fw%3Ard@h.example:8443/a%20b"
    )
    assert filled("https://<host>?q=<path>") == "https://h.example:8443?q=a%20b"
