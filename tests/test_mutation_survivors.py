"""Behaviour that mutation testing (mutmut 3) showed no test pinned down: exact limits,
encoded forms of secrets, and URL shapes with '@', ':' or '://' in unusual places."""

from __future__ import annotations

import itertools

from cibridge.core import redact, urls
from cibridge.notify import limits


def test_a_secret_with_a_space_is_masked_percent_encoded() -> None:
    redact.register("my secret/path")
    assert redact.redact("GET /hooks/my%20secret%2Fpath") == "GET /hooks/***"


def test_too_short_secrets_register_no_encoded_form_either() -> None:
    redact.register("a b")  # three characters: too short to mask without masking words
    assert redact.redact("a%20b and a b") == "a%20b and a b"


def test_a_whole_webhook_url_is_masked_whole() -> None:
    url = "https://hooks.example.com/x1?v=1"
    redact.register_url(url, whole_url_secret=True)
    assert redact.redact(f"posting to {url} now") == "posting to *** now"


def test_utf8_bytes_below_the_mark_keeps_no_text() -> None:
    assert limits.utf8_bytes("abcdef", 2) == "…"


def test_shrink_one_character_over() -> None:
    payload = {"a": "x" * 51}
    assert limits.shrink(payload, 50, lambda p: len(p["a"]))
    assert len(payload["a"]) == 50


def test_cap_matches_a_brute_force_search() -> None:
    assert limits._cap([], 0) == 8
    for lengths in itertools.product((3, 9, 20, 41), repeat=3):
        for target in range(0, sum(lengths) + 2, 3):
            fits = [
                n
                for n in range(8, max(*lengths, 8) + 1)
                if sum(min(x, n) for x in lengths) <= target
            ]
            expected = max(fits) if fits else None
            if sum(min(x, 8) for x in lengths) > target:
                expected = None
            assert limits._cap(list(lengths), target) == expected, (lengths, target)


def test_origin_of_urls_with_at_signs_ports_and_ipv6() -> None:
    assert urls.origin("https://h.example/p?email=a@b.c#frag@x") == "https://h.example"
    assert urls.origin("https://h.example") == "https://h.example"
    assert urls.origin("http://[::1]:8080/x") == "http://[::1]:8080"
    assert urls.origin("http://[::1]/x") == "http://[::1]"
    assert urls.origin("https://h.example/next?to=https://evil.example") == "https://h.example"


def test_secret_parts_of_user_info_with_at_and_colon() -> None:
    parts = urls.secret_parts("https://bobby:p@ss:wd-99@h.example/x", whole_url_secret=False)
    assert "p@ss:wd-99" in parts and "bobby" in parts and "bobby:p@ss:wd-99" in parts


def test_secret_parts_boundaries_and_encodings() -> None:
    parts = urls.secret_parts("https://h.example/Ab3dE6g8/short?sp=a/b c/d", whole_url_secret=True)
    assert "Ab3dE6g8" in parts  # exactly 8 characters: long enough to be a token
    assert "short" not in parts
    assert "a%2Fb%20c%2Fd" in parts


def test_shrink_leaves_numbers_and_booleans_alone() -> None:
    payload = {"count": 3, "ok": True, "text": "y" * 100}
    assert limits.shrink(payload, 60, lambda p: len(str(p)))
    assert payload["count"] == 3 and payload["ok"] is True
    assert len(str(payload)) <= 60


def test_origin_ignores_at_signs_after_the_fragment_and_keeps_the_scheme() -> None:
    assert urls.origin("https://h.example/p#to@x") == "https://h.example"
    assert urls.origin("HTTPS://H.example:8443/x").lower() == "https://h.example:8443"


def test_config_raw_past_the_end_of_a_list_is_absent() -> None:
    from cibridge.config.loader import Config

    config = Config(data={"to": ["slack", "dingtalk"]})
    assert config.raw("to", 1) == "dingtalk"
    assert config.raw("to", 2) is None


def test_credential_detection_by_path() -> None:
    from cibridge.config.loader import credentials_in, is_secret_path

    assert is_secret_path(("integrations", "x", "headers", "Authorization"))
    assert not is_secret_path(("headers",))
    assert not is_secret_path(("Authorization",))
    assert not is_secret_path(("integrations", "x", "headers", "X-Scope-OrgID"))
    assert credentials_in("https://u1:pa:ss@h/x and https://u2:two@h") == [
        "u1:pa:ss",
        "pa:ss",
        "u2:two",
        "two",
    ]


def test_a_secret_file_keeps_inner_and_trailing_spaces(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cibridge.config.secrets import lookup_secret

    (tmp_path / "token").write_text("  padded value  \n")
    env = {"CIBRIDGE_SECRETS_DIR": str(tmp_path)}
    assert lookup_secret("token", "here", env, required=True) == "  padded value  "
