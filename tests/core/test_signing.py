from __future__ import annotations

from cibridge.core import signing

# GitHub's documented webhook example: secret, payload and expected X-Hub-Signature-256.
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_PAYLOAD = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_matches_githubs_published_example() -> None:
    assert signing.sign(GITHUB_PAYLOAD, GITHUB_SECRET) == GITHUB_SIGNATURE
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE)
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE.removeprefix("sha256="))
    assert not signing.verify(GITHUB_PAYLOAD + b" ", GITHUB_SECRET, GITHUB_SIGNATURE)


def test_uses_constant_time_comparison(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert signing.verify(GITHUB_PAYLOAD, GITHUB_SECRET, GITHUB_SIGNATURE)
    assert calls
