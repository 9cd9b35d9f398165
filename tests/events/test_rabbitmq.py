"""The RabbitMQ transport against a real node (Debian's rabbitmq-server): persistent,
confirmed, mandatory publishes to a topic exchange with the event type as routing key,
and each fault (no queue bound, no exchange, a refused login, no broker) a refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cibridge.events.model import Event, stable_id
from cibridge.events.transports.rabbitmq import RabbitSink
from tests.e2e.harness import Rabbit, free_port, rabbitmq_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rabbit]:
    with rabbitmq_server(tmp_path_factory.mktemp("rabbit"), "ci", "ci-password-7f3a") as node:
        yield node


def event(n: int = 1) -> Event:
    return Event(
        type="service.deployed",
        id=stable_id("rabbit", str(n)),
        source="https://github.com/acme/checkout/actions/runs/7",
        subject_id=f"production/pkg:generic/checkout@1.{n}.0",
        content={
            "environment": {"id": "production"},
            "artifactId": f"pkg:generic/checkout@1.{n}.0",
        },
        timestamp="2026-12-04T10:00:00.000Z",
    )


def bound_queue(url: str, exchange: str, key: str) -> tuple[object, str]:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, key)
    return connection, queue


def test_events_are_confirmed_persistent_and_routed_by_type(rabbit: Rabbit) -> None:
    connection, queue = bound_queue(rabbit.url, "cdevents", "service.*")
    try:
        assert RabbitSink(url=rabbit.url).send([event(1), event(2)], 10) == [None, None]
        channel = connection.channel()  # type: ignore[attr-defined]
        method, properties, body = channel.basic_get(queue, auto_ack=True)
    finally:
        connection.close()  # type: ignore[attr-defined]
    assert method.routing_key == "service.deployed"
    assert properties.delivery_mode == 2 and properties.message_id == event(1).id
    assert properties.content_type == "application/json"
    assert properties.headers["cloudEvents:type"] == "dev.cdevents.service.deployed.0.3.0"
    assert properties.headers["cloudEvents:specversion"] == "1.0"
    assert json.loads(body) == event(1).as_cdevent()


def test_no_queue_bound_is_a_refusal_for_good(rabbit: Rabbit) -> None:
    [refusal] = RabbitSink(url=rabbit.url, exchange="nobody-listens").send([event()], 10)
    assert refusal is not None and refusal.final
    assert (
        refusal.reason == "RabbitMQ exchange nobody-listens: no queue is bound for service.deployed"
    )


def test_a_missing_exchange_that_may_not_be_declared(rabbit: Rabbit) -> None:
    [refusal] = RabbitSink(url=rabbit.url, exchange="absent", declare=False).send([event()], 10)
    assert refusal is not None and refusal.final
    assert "no exchange 'absent'" in refusal.reason


def test_a_refused_login_never_shows_the_password(rabbit: Rabbit) -> None:
    url = rabbit.url.replace("guest:guest", "ci:wrong-password-91c2")
    [refusal] = RabbitSink(url=url).send([event()], 10)
    good = rabbit.url.replace("guest:guest", "ci:ci-password-7f3a")
    connection, _queue = bound_queue(good, "cdevents", "#")
    try:
        assert RabbitSink(url=good).send([event()], 10) == [None]
    finally:
        connection.close()  # type: ignore[attr-defined]
    assert refusal is not None and refusal.final
    assert "the login was refused: check the user and password" in refusal.reason
    assert "wrong-password" not in refusal.reason and "amqp://127.0.0.1:" in refusal.reason


def test_no_broker_is_a_refusal_to_retry() -> None:
    [refusal] = RabbitSink(url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F").send([event()], 2)
    assert refusal is not None and not refusal.final
    assert refusal.reason.startswith("RabbitMQ at amqp://127.0.0.1:")


def test_the_cli_publishes_a_deploy_notification_to_rabbitmq(
    cli, rabbit: Rabbit, tmp_path: Path, httpserver
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hook").respond_with_data("ok", 200)
    connection, queue = bound_queue(rabbit.url, "cdevents", "#")
    try:
        env = {
            "CIBRIDGE_WEBHOOK_URL": httpserver.url_for("/hook"),
            "CIBRIDGE_EVENTS_TO": "rabbitmq",
            "RABBITMQ_URL": rabbit.url.replace("guest:guest", "ci:ci-password-7f3a"),
            "CIBRIDGE_ENVIRONMENT": "production",
        }
        result = cli(
            "notify", "--to", "webhook", "--status", "success", "--event", "deploy", env=env
        )
        channel = connection.channel()  # type: ignore[attr-defined]
        keys = []
        while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
            keys.append(got[0].routing_key)
    finally:
        connection.close()  # type: ignore[attr-defined]
    assert result.code == 0, result.all
    assert keys == ["taskrun.finished", "service.deployed"]
    assert "ci-password-7f3a" not in result.all
