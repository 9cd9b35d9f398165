"""Reading webhook deliveries a receiver put on a queue, for ``trigger --from``: NATS
JetStream (a durable pull consumer), RabbitMQ (a durable queue, manual acknowledgement)
or Kafka (a consumer group, offsets committed by hand). Each message is handed out once
and acknowledged only when the caller says its dispatch is recorded; a message the caller
gives back stays on the queue (NATS and RabbitMQ redeliver it; Kafka stops there, since
committing a later offset would skip it). Bounded by a count and a time. The broker
clients are the event stream's (nats-py, pika, confluent-kafka), imported here only."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cibridge.core.errors import CibridgeError


@dataclass
class Message:
    body: bytes
    where: str  # e.g. "nats JIRA_WEBHOOKS #12", for log lines
    _ack: Callable[[], None] = field(repr=False)
    _nack: Callable[[], None] = field(repr=False)

    def ack(self) -> None:
        self._ack()

    def give_back(self) -> None:
        self._nack()


@dataclass(frozen=True)
class Limits:
    messages: int
    seconds: float


def _run_in(loop: asyncio.AbstractEventLoop, settle: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        loop.run_until_complete(settle())

    return run


FIRST_WAIT = 5.0  # seconds the first NATS fetch may wait (a consumer created on a busy server)
QUIET = 2.0  # seconds without a message that end the read


def nats_messages(
    options: dict[str, Any], stream: str, subject: str, durable: str, limits: Limits
) -> Iterator[Message]:
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    loop = asyncio.new_event_loop()
    deadline = time.monotonic() + limits.seconds
    try:
        client = loop.run_until_complete(nats.connect(**options))
    except Exception as error:
        loop.close()
        raise CibridgeError(
            f"trigger --from nats: {error}", hint="check NATS_URL and its credentials"
        ) from None
    try:
        js = client.jetstream()
        try:
            subscription = loop.run_until_complete(
                js.pull_subscribe(subject, durable=durable, stream=stream)
            )
        except Exception as error:
            raise CibridgeError(
                f"trigger --from nats: cannot read {subject} from stream {stream}: {error}",
                hint="create the stream over the subject the receiver publishes to",
            ) from None
        handed = 0
        quiet = FIRST_WAIT  # the first fetch also waits for the consumer to be set up
        while handed < limits.messages and (left := deadline - time.monotonic()) > 0:
            try:
                batch = loop.run_until_complete(
                    subscription.fetch(min(10, limits.messages - handed), timeout=min(left, quiet))
                )
            except (NatsTimeout, asyncio.TimeoutError):
                # nats-py raises its own TimeoutError, or asyncio's from a fetch of several
                # that got none: either way nothing is waiting.
                break
            quiet = QUIET
            for item in batch:
                handed += 1
                sequence = item.metadata.sequence.stream if item.metadata else handed
                yield Message(
                    item.data,
                    f"nats {stream} #{sequence}",
                    _run_in(loop, item.ack),
                    _run_in(loop, item.nak),
                )
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(client.close())
        loop.close()


def rabbitmq_messages(url: str, queue: str, where: str, limits: Limits) -> Iterator[Message]:
    import pika
    from pika import exceptions

    deadline = time.monotonic() + limits.seconds
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 5.0
    try:
        connection = pika.BlockingConnection(parameters)
    except exceptions.ProbableAuthenticationError:
        raise CibridgeError(
            f"trigger --from rabbitmq: {where} refused the login",
            hint="check the user and password in RABBITMQ_URL",
        ) from None
    except (exceptions.AMQPError, OSError) as error:
        raise CibridgeError(
            f"trigger --from rabbitmq: {where}: {error or type(error).__name__}"
        ) from None
    try:
        channel = connection.channel()
        try:
            channel.queue_declare(queue, passive=True)
        except exceptions.ChannelClosedByBroker as error:
            raise CibridgeError(
                f"trigger --from rabbitmq: the queue {queue} cannot be read: {error}",
                hint="declare the queue the receiver publishes to (durable), or set trigger_queue",
            ) from None
        handed = 0
        while handed < limits.messages and time.monotonic() < deadline:
            method, _properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break  # the queue is empty
            handed += 1
            tag = int(method.delivery_tag or 0)

            def ack(tag: int = tag) -> None:
                channel.basic_ack(tag)

            def give_back(tag: int = tag) -> None:
                channel.basic_nack(tag, requeue=True)

            data = body.encode() if isinstance(body, str) else bytes(body or b"")
            yield Message(data, f"rabbitmq {queue} #{tag}", ack, give_back)
    finally:
        if connection.is_open:
            with contextlib.suppress(exceptions.AMQPError):
                connection.close()


def kafka_messages(settings: dict[str, Any], topic: str, limits: Limits) -> Iterator[Message]:
    from confluent_kafka import Consumer, KafkaException

    deadline = time.monotonic() + limits.seconds
    try:
        consumer = Consumer(
            {**settings, "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        )
        consumer.subscribe([topic])
    except KafkaException as error:
        raise CibridgeError(f"trigger --from kafka: {error}") from None
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True  # a later commit would skip this one: read nothing more this run

    try:
        handed = 0
        idle_until = time.monotonic() + min(limits.seconds, 10.0)
        while handed < limits.messages and not stopped and time.monotonic() < deadline:
            record = consumer.poll(0.5)
            if record is None:
                if handed and time.monotonic() > idle_until:
                    break
                continue
            problem = record.error()
            if problem is not None:
                if problem.fatal():
                    raise CibridgeError(f"trigger --from kafka: {problem.str()}")
                continue
            handed += 1
            idle_until = time.monotonic() + 2.0

            def commit(record: Any = record) -> None:
                consumer.commit(message=record, asynchronous=False)

            where = f"kafka {topic}[{record.partition()}]@{record.offset()}"
            yield Message(record.value() or b"", where, commit, stop)
    finally:
        consumer.close()
