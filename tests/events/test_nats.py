"""The NATS JetStream transport against a real nats-server (``-js``): acknowledged
publishes with Nats-Msg-Id, the stream created over the subject, duplicates dropped by
the server, and each fault (server down, token refused, no stream) a refusal the
publisher can spool."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cibridge.events.model import Event, stable_id
from cibridge.events.transports.nats import NatsSink
from tests.e2e.harness import free_port, nats_server

pytestmark = pytest.mark.e2e


def event(n: int = 1, kind: str = "service.deployed") -> Event:
    return Event(
        type=kind,
        id=stable_id("test", str(n)),
        source="https://github.com/acme/checkout/actions/runs/7",
        subject_id=f"production/pkg:generic/checkout@1.{n}.0",
        content={
            "environment": {"id": "production"},
            "artifactId": f"pkg:generic/checkout@1.{n}.0",
        },
        chain=stable_id("chain"),
        timestamp="2026-12-04T10:00:00.000Z",
    )


def stored(url: str, stream: str, token: str = "") -> list[tuple[str, dict[str, str], Any]]:
    """Every message the stream holds, read back with the same client."""

    async def read() -> list[tuple[str, dict[str, str], Any]]:
        import nats

        client = await nats.connect(url, token=token or None)
        try:
            js = client.jetstream()
            info = await js.stream_info(stream)
            messages = []
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(stream, sequence)
                messages.append(
                    (message.subject, dict(message.headers or {}), json.loads(message.data or b""))
                )
            return messages
        finally:
            await client.close()

    return asyncio.run(read())


def test_events_land_in_the_stream_once_with_their_cloudevents_context(tmp_path: Path) -> None:
    with nats_server(tmp_path) as server:
        sink = NatsSink(
            url=server.url, subject="cdevents.{repository}.{type}", repository="acme/check.out"
        )
        assert sink.send([event(1), event(2)], 10) == [None, None]
        assert sink.send([event(1)], 10) == [None]  # a re-run: acknowledged, dropped as a copy
        messages = stored(server.url, "CDEVENTS")
    assert [m[0] for m in messages] == ["cdevents.acme/check_out.service.deployed"] * 2
    _subject, headers, body = messages[0]
    assert headers["Nats-Msg-Id"] == event(1).id
    assert headers["ce-type"] == "dev.cdevents.service.deployed.0.3.0"
    assert headers["ce-specversion"] == "1.0" and headers["ce-id"] == event(1).id
    assert body == event(1).as_cdevent()


def test_a_prefix_subject_and_an_existing_stream(tmp_path: Path) -> None:
    with nats_server(tmp_path) as server:
        first = NatsSink(url=server.url, subject="ci", stream="CI")
        assert first.send([event(1, "service.deployed")], 10) == [None]
        # create_stream: false takes the stream that exists now.
        strict = NatsSink(url=server.url, subject="ci", stream="CI", create_stream=False)
        assert strict.send([event(2, "service.deployed")], 10) == [None]
        assert [m[0] for m in stored(server.url, "CI")] == ["ci.service.deployed"] * 2


def test_a_missing_stream_with_create_stream_false_is_refused_for_good(tmp_path: Path) -> None:
    with nats_server(tmp_path) as server:
        sink = NatsSink(url=server.url, stream="NOPE", create_stream=False)
        [refusal] = sink.send([event()], 10)
    assert refusal is not None and refusal.final
    assert "the stream NOPE does not exist (create_stream: false)" in refusal.reason


def test_a_refused_token_is_named_and_not_echoed(tmp_path: Path) -> None:
    with nats_server(tmp_path, token="s3cret-server-token") as server:
        [refusal] = NatsSink(url=server.url, token="wrong-token-value").send([event()], 5)
        assert NatsSink(url=server.url, token="s3cret-server-token").send([event()], 5) == [None]
    assert refusal is not None and not refusal.final
    assert "authorization" in refusal.reason.lower()
    assert "check the token" in refusal.reason and "wrong-token-value" not in refusal.reason


def test_no_server_is_a_refusal_within_the_budget() -> None:
    import time

    started = time.monotonic()
    [refusal] = NatsSink(url=f"nats://127.0.0.1:{free_port()}").send([event()], 2)
    assert refusal is not None and not refusal.final
    assert "NATS at nats://127.0.0.1" in refusal.reason
    assert time.monotonic() - started < 10
