"""Alertmanager silences: the request shape, error messages, and create-then-always-expire,
first against a recording server, then against a real Alertmanager."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.alertmanager import (
    create_silence,
    expire_silence,
    silence_body,
    silenced,
)
from cibridge.core.errors import CibridgeError
from cibridge.http.auth import Bearer
from cibridge.http.transport import Transport
from tests.e2e.harness import alertmanager

ID = "939aae76-eda1-4063-bae8-c2022600d4ab"


def test_body_matches_each_label_exactly_over_the_window() -> None:
    body = silence_body(
        {"service": "checkout", "env": "prod"},
        starts_at=1_700_000_000,
        ends_at=1_700_000_600,
        comment="deploy 1.2.3",
        created_by="ci",
    )
    assert body == {
        "matchers": [
            {"name": "service", "value": "checkout", "isRegex": False, "isEqual": True},
            {"name": "env", "value": "prod", "isRegex": False, "isEqual": True},
        ],
        "startsAt": "2023-11-14T22:13:20.000Z",
        "endsAt": "2023-11-14T22:23:20.000Z",
        "createdBy": "ci",
        "comment": "deploy 1.2.3",
    }


@pytest.mark.parametrize(
    ("matchers", "ends_at", "problem"),
    [
        ({}, 10.0, "no matchers"),
        ({"service": ""}, 10.0, "empty value"),
        ({"bad-name": "x"}, 10.0, "not a label name"),
        ({"service": "x"}, 0.0, "end before it starts"),
    ],
)
def test_body_refuses_what_would_silence_too_much_or_nothing(
    matchers: dict[str, str], ends_at: float, problem: str
) -> None:
    with pytest.raises(CibridgeError, match=problem) as caught:
        silence_body(matchers, starts_at=1.0, ends_at=ends_at, comment="", created_by="")
    assert caught.value.exit_code == 2


def test_create_posts_the_silence_with_auth_and_returns_its_id(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_oneshot_request(
        "/am/api/v2/silences", method="POST", headers={"Authorization": "Bearer am-token-1"}
    ).respond_with_json({"silenceID": ID})
    silence_id = create_silence(
        transport,
        httpserver.url_for("/am/"),
        {"service": "checkout"},
        duration=600,
        comment="deploy",
        created_by="cibridge-test",
        auth=Bearer("am-token-1"),
        now=1_700_000_000,
    )
    assert silence_id == ID
    sent = json.loads(httpserver.log[0][0].data)
    assert sent["startsAt"] == "2023-11-14T22:13:20.000Z"
    assert sent["endsAt"] == "2023-11-14T22:23:20.000Z"
    assert sent["createdBy"] == "cibridge-test" and sent["comment"] == "deploy"


def test_create_reports_alertmanagers_words_on_a_4xx(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_request("/api/v2/silences").respond_with_json(
        "silence invalid: at least one matcher must not match the empty string", status=400
    )
    with pytest.raises(CibridgeError) as caught:
        create_silence(transport, httpserver.url_for("/"), {"a": "b"}, duration=60)
    assert caught.value.exit_code == 1
    assert "HTTP 400" in caught.value.message
    assert "at least one matcher must not match" in caught.value.message


def test_create_refuses_an_answer_without_an_id(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_request("/api/v2/silences").respond_with_data("<html>login</html>")
    with pytest.raises(CibridgeError, match="no silenceID"):
        create_silence(transport, httpserver.url_for("/"), {"a": "b"}, duration=60)


def test_create_needs_a_duration_or_an_end(transport: Transport) -> None:
    with pytest.raises(CibridgeError, match="duration or an end time"):
        create_silence(transport, "http://127.0.0.1:9", {"a": "b"})


def test_unreachable_alertmanager_is_a_failure_naming_it(transport: Transport) -> None:
    from tests.e2e.harness import free_port

    with pytest.raises(CibridgeError) as caught:
        create_silence(transport, f"http://127.0.0.1:{free_port()}", {"a": "b"}, duration=60)
    assert caught.value.exit_code == 1
    assert "Alertmanager" in caught.value.message


def test_expire_deletes_the_silence_by_id(httpserver: HTTPServer, transport: Transport) -> None:
    httpserver.expect_oneshot_request(f"/api/v2/silence/{ID}", method="DELETE").respond_with_data(
        ""
    )
    expire_silence(transport, httpserver.url_for("/"), ID)
    assert len(httpserver.log) == 1


def test_expire_of_an_unknown_silence_says_so(httpserver: HTTPServer, transport: Transport) -> None:
    httpserver.expect_request(f"/api/v2/silence/{ID}").respond_with_json(
        "silence not found", status=500
    )
    with pytest.raises(CibridgeError, match=r"expiring silence .*silence not found"):
        expire_silence(transport, httpserver.url_for("/"), ID)


def _expect_create_and_expire(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/api/v2/silences", method="POST").respond_with_json(
        {"silenceID": ID}
    )
    httpserver.expect_oneshot_request(f"/api/v2/silence/{ID}", method="DELETE").respond_with_data(
        ""
    )


def test_silenced_expires_after_the_block(httpserver: HTTPServer, transport: Transport) -> None:
    _expect_create_and_expire(httpserver)
    with silenced(transport, httpserver.url_for("/"), {"service": "x"}, duration=60) as silence:
        assert [entry[0].method for entry in httpserver.log] == ["POST"]
    assert silence.expired and silence.expire_error is None
    assert [entry[0].method for entry in httpserver.log] == ["POST", "DELETE"]


def test_silenced_expires_when_the_block_raises(
    httpserver: HTTPServer, transport: Transport
) -> None:
    _expect_create_and_expire(httpserver)
    with (
        pytest.raises(RuntimeError, match="gate blew up"),
        silenced(transport, httpserver.url_for("/"), {"service": "x"}, duration=60),
    ):
        raise RuntimeError("gate blew up")
    assert [entry[0].method for entry in httpserver.log] == ["POST", "DELETE"]


def test_a_failed_expiry_never_hides_the_outcome(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_oneshot_request("/api/v2/silences").respond_with_json({"silenceID": ID})
    httpserver.expect_request(f"/api/v2/silence/{ID}").respond_with_data("down", status=503)
    with silenced(transport, httpserver.url_for("/"), {"service": "x"}, duration=60) as silence:
        pass
    assert not silence.expired
    assert silence.expire_error is not None and "HTTP 503" in silence.expire_error.message
    assert silence.ends_at > time.time()  # it still ends by itself


def test_no_block_runs_when_the_silence_cannot_be_created(
    httpserver: HTTPServer, transport: Transport
) -> None:
    httpserver.expect_request("/api/v2/silences").respond_with_data("nope", status=403)
    ran = []
    with (
        pytest.raises(CibridgeError, match="HTTP 403"),
        silenced(transport, httpserver.url_for("/"), {"service": "x"}, duration=60),
    ):
        ran.append(True)
    assert ran == []


def _state(transport: Transport, base: str, silence_id: str) -> str:
    got = transport.request("GET", f"{base}/api/v2/silence/{silence_id}", what="Alertmanager")
    state: str = got.json()["status"]["state"]
    return state


def test_a_real_alertmanager_holds_the_silence_during_the_block_only(
    tmp_path: Path, transport: Transport
) -> None:
    with alertmanager(tmp_path) as base:
        with silenced(
            transport, base, {"service": "checkout"}, duration=900, comment="deploy 1.2.3"
        ) as silence:
            assert _state(transport, base, silence.id) == "active"
            listed = transport.request("GET", f"{base}/api/v2/silences", what="Alertmanager")
            [found] = [s for s in listed.json() if s["id"] == silence.id]
            assert found["matchers"] == [
                {"name": "service", "value": "checkout", "isRegex": False, "isEqual": True}
            ]
            assert found["comment"] == "deploy 1.2.3"
        assert silence.expired
        assert _state(transport, base, silence.id) == "expired"


def test_a_real_alertmanager_gets_its_silence_expired_when_the_gate_fails(
    tmp_path: Path, transport: Transport
) -> None:
    with alertmanager(tmp_path) as base:
        held: list[str] = []
        with (
            pytest.raises(CibridgeError, match="gate failed"),
            silenced(transport, base, {"service": "checkout"}, duration=900) as silence,
        ):
            held.append(silence.id)
            raise CibridgeError("gate failed", exit_code=1)
        assert _state(transport, base, held[0]) == "expired"
