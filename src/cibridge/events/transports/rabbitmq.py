"""RabbitMQ: each event published to a durable topic exchange with the event type as the
routing key (``service.deployed``, so a queue binds ``service.*`` or ``#``), persistent
(delivery mode 2), ``mandatory`` and with publisher confirms: an event counts as
delivered only when the broker confirmed it and a queue took it. The CloudEvents
attributes travel as headers named as the CloudEvents AMQP binding names its
application properties (``cloudEvents:id`` …), the CDEvent as the JSON body, its id as
``message_id``. The client is pika (the ``rabbitmq`` extra)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.events.transports import Refusal
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.events.model import Event

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DEFAULT_EXCHANGE = "cdevents"


@dataclass
class RabbitSink:
    url: str
    exchange: str = DEFAULT_EXCHANGE
    declare: bool = True
    name: str = "rabbitmq"

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str]) -> RabbitSink:
        found = IntegrationSettings("rabbitmq", "messaging", config, env)
        url = found.secret("url", variables.name("rabbitmq", "url")) or DEFAULT_URL
        declare = found.value("declare_exchange", "", True)
        if not isinstance(declare, bool):
            raise CibridgeError(
                "integration_configs.messaging.rabbitmq.declare_exchange "
                f"({found.where('declare_exchange')}) is true or false"
            )
        if not url.startswith(("amqp://", "amqps://")):
            raise CibridgeError(
                f"the rabbitmq URL ({found.where('url', variables.name('rabbitmq', 'url'))}) "
                "is not amqp:// or amqps://",
                hint="e.g. amqps://user:password@rabbit.internal:5671/%2F",
            )
        return cls(
            url=url, exchange=str(found.value("exchange", "", DEFAULT_EXCHANGE)), declare=declare
        )

    def properties(self, event: Event) -> dict[str, Any]:
        return {
            "content_type": "application/json",
            "delivery_mode": 2,
            "message_id": event.id,
            "headers": {f"cloudEvents:{k}": v for k, v in event.cloudevent_attributes().items()},
        }

    def describe(self, event: Event) -> str:
        return (
            f"publish to RabbitMQ exchange {self.exchange} (topic), routing key {event.type}, "
            f"persistent, confirmed, message_id {event.id}"
        )

    def send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        from cibridge.config.on_demand import require_rabbitmq

        try:
            require_rabbitmq()
        except CibridgeError as error:
            return [Refusal(str(error), final=True)] * len(events)
        import pika
        from pika import exceptions
        from pika.exchange_type import ExchangeType

        parameters = pika.URLParameters(self.url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = max(1.0, min(5.0, budget))
        parameters.blocked_connection_timeout = max(1.0, budget)
        parameters.stack_timeout = max(1.0, budget)
        where = f"RabbitMQ at {self.where()}"
        try:
            connection = pika.BlockingConnection(parameters)
        except exceptions.ProbableAuthenticationError:
            refused = Refusal(f"{where}: the login was refused: check the user and password", True)
            return [refused] * len(events)
        except (exceptions.AMQPError, OSError) as error:
            return [Refusal(f"{where}: {_said(error)}")] * len(events)
        answers: list[Refusal | None] = []
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            try:
                channel.exchange_declare(
                    self.exchange,
                    exchange_type=ExchangeType.topic,  # type: ignore[arg-type]  # stubs: pika 1.2
                    durable=True,
                    passive=not self.declare,
                )
            except exceptions.ChannelClosedByBroker as error:
                refused = Refusal(f"RabbitMQ exchange {self.exchange}: {_said(error)}", True)
                return [refused] * len(events)
            for event in events:
                answers.append(self._publish(channel, event))
        except exceptions.AMQPError as error:  # the connection went away: the rest wait
            answers += [Refusal(f"{where}: {_said(error)}")] * (len(events) - len(answers))
        finally:
            if connection.is_open:
                with contextlib.suppress(exceptions.AMQPError):
                    connection.close()
        return answers

    def _publish(self, channel: Any, event: Event) -> Refusal | None:
        import pika
        from pika import exceptions

        try:
            channel.basic_publish(
                self.exchange,
                event.type,
                event.json(),
                properties=pika.BasicProperties(**self.properties(event)),
                mandatory=True,
            )
        except exceptions.UnroutableError:
            return Refusal(
                f"RabbitMQ exchange {self.exchange}: no queue is bound for {event.type}",
                final=True,
            )
        except exceptions.NackError:
            return Refusal(f"RabbitMQ exchange {self.exchange}: the broker refused (nack) it")
        return None

    def where(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)  # never the password
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 5672}"


def _said(error: BaseException) -> str:
    from cibridge.core.untrusted import excerpt

    return excerpt(str(error) or type(error).__name__)
