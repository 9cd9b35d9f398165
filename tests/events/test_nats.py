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


def test_a_server_killed_mid_publish_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    """nats-server is killed while the eighth of twenty events is being published (the
    sink's header hook does it: no timing guess); the undelivered are spooled, and once the
    server is back on the same store the flush delivers them: twenty in the stream, each
    once."""
    import subprocess

    from cibridge.config.loader import Config
    from cibridge.events import publish, spool
    from tests.e2e.harness import require

    port, store = free_port(), tmp_path / "store"
    args = [require("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)]
    url = f"nats://127.0.0.1:{port}"

    def start() -> subprocess.Popen[bytes]:
        import socket
        import time

        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return process
            except OSError:
                time.sleep(0.05)
        process.kill()
        pytest.fail("nats-server did not start")

    server = start()

    class Killing(NatsSink):
        def headers(self, event: Event) -> dict[str, str]:
            if event.id == events[7].id and server.poll() is None:
                server.kill()
                server.wait()
            return super().headers(event)

    events = [event(n) for n in range(20)]
    sink = Killing(url=url)
    answers = sink.send(events, 3)
    assert answers[:7] == [None] * 7 and all(a is not None for a in answers[7:])
    spooled = [e for e, a in zip(events, answers, strict=True) if a is not None]
    spool.keep(tmp_path / "spool", "nats", spooled)
    server = start()
    try:
        kept = [e for _p, e in spool.kept(tmp_path / "spool", "nats")]
        config = Config({"integration_configs": {"messaging": {"nats": {"url": url}}}})
        result = publish.deliver("nats", kept, config, {}, 10)  # type: ignore[arg-type]
        assert len(result.delivered) == 13 and result.undelivered == []
        assert sorted(m[2]["context"]["id"] for m in stored(url, "CDEVENTS")) == sorted(
            e.id for e in events
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    ("env", "subject"),
    [
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/check.out"},
            "ci.github.acme/check_out.ticket.updated",
        ),
        (
            {"GITLAB_CI": "true", "CI_PROJECT_PATH": "group/sub/app"},
            "ci.gitlab.group/sub/app.ticket.updated",
        ),
        (
            {"TF_BUILD": "True", "BUILD_REPOSITORY_NAME": "checkout api"},
            "ci.azure-pipelines.checkout_api.ticket.updated",
        ),
        ({}, "ci.local.unknown.ticket.updated"),
    ],
)
def test_the_subject_template_names_the_platform_and_repository(
    env: dict[str, str], subject: str
) -> None:
    from cibridge.config.loader import Config

    config = Config(
        {
            "integration_configs": {
                "messaging": {"nats": {"subject": "ci.{platform}.{repository}.{type}"}}
            }
        }
    )
    sink = NatsSink.from_config(config, env)
    assert sink.subject_for(event(1, "ticket.updated")) == subject
    assert sink.stream_subjects() == ["ci.>"]
