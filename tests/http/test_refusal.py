"""HTTP refusals: any answer outside 2xx, said the same way for every peer."""

from __future__ import annotations

import pytest

from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.http.refusal import raise_for_refusal, refusal
from cibridge.http.transport import Response

URL = "https://peer.example/api/x"


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_a_2xx_is_no_refusal(status: int) -> None:
    assert refusal(Response(status, b'{"error": "ignored"}', {}, URL), "Peer") is None


def test_a_redirect_names_where_it_pointed_not_what_it_said() -> None:
    response = Response(302, b"<html>Found</html>", {"location": "https://sso.example/l"}, URL)
    refused = refusal(response, "Peer: pushing", hint="update the URL")
    assert refused is not None and refused.exit_code == 1 and refused.hint == "update the URL"
    assert refused.message == (
        "Peer: pushing: answered 302 redirect to https://sso.example "
        "(not followed for a write; update the URL)"
    )


def test_an_error_status_shows_a_safe_excerpt_of_the_answer() -> None:
    redact.register("s3cr3t-token")
    body = b"bad \x1b[31mtoken s3cr3t-token\n" + b"x" * 500
    refused = refusal(Response(400, body, {}, URL), "Peer", limit=40)
    assert refused is not None
    assert refused.message.startswith("Peer: HTTP 400: bad [31mtoken ***")
    assert len(refused.message) <= len("Peer: HTTP 400: ") + 40
    assert "\x1b" not in refused.message and "\n" not in refused.message


def test_the_peers_own_words_are_made_safe_too() -> None:
    redact.register("s3cr3t-token")
    refused = refusal(Response(422, b"{}", {}, URL), "Peer", detail="echo s3cr3t-token\nforged")
    assert refused is not None and refused.message == "Peer: HTTP 422: echo *** forged"


def test_an_empty_answer_is_just_its_status() -> None:
    refused = refusal(Response(503, b"", {}, URL), "Peer")
    assert refused is not None and refused.message == "Peer: HTTP 503"


def test_raise_for_refusal() -> None:
    raise_for_refusal(Response(204, b"", {}, URL), "Peer")
    with pytest.raises(CibridgeError, match="Peer: HTTP 500: boom"):
        raise_for_refusal(Response(500, b"boom", {}, URL), "Peer")
