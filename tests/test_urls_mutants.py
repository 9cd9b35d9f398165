"""Behaviour of urls.py that mutation testing (mutmut 3) showed no test pinned down: hosts in
capitals, a webhook URL with an empty host, and paths made only of slashes."""

from __future__ import annotations

from cibridge.core import redact, urls


def test_origin_keeps_a_host_written_in_capitals() -> None:
    assert urls.origin("https://HOOKS.EXAMPLE.COM/services/x") == "https://HOOKS.EXAMPLE.COM"
    assert urls.origin("https://XN--80AK6AA92E.EXAMPLE:8443/x") == (
        "https://XN--80AK6AA92E.EXAMPLE:8443"
    )


def test_user_info_with_capitals_is_split_off_and_masked() -> None:
    url = "https://ci:s3cretXpw@EXAMPLE.COM/x"
    assert urls.split_userinfo(url) == ("https://EXAMPLE.COM/x", "ci", "s3cretXpw")
    redact.register_url(url, whole_url_secret=False)
    assert redact.redact("login s3cretXpw") == "login ***"


def test_a_webhook_url_without_a_host_still_has_its_path_masked() -> None:
    # A typo ("https:///...") must not turn the path into a host nobody registers.
    redact.register_url("https:///hooks/T0001/ab12cd34ef56gh78", whole_url_secret=True)
    assert redact.redact("POST /hooks/T0001/ab12cd34ef56gh78: 404") == "POST ***: 404"
    assert redact.redact("segment ab12cd34ef56gh78") == "segment ***"


def test_a_webhook_path_of_capital_letters_is_masked() -> None:
    redact.register_url("https://hooks.example.com/XXXXXXXXXXXX", whole_url_secret=True)
    assert redact.redact("POST /XXXXXXXXXXXX failed") == "POST *** failed"


def test_a_path_of_slashes_only_makes_no_secret() -> None:
    redact.register_url("https://hooks.example.com//", whole_url_secret=True)
    encoded = "see https%3A%2F%2Fdocs.example.com%2F%2Fci"
    assert redact.redact(encoded) == encoded
    assert redact.redact("a // b") == "a // b"
