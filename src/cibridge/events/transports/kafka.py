"""Kafka: the CloudEvents Kafka binding in binary mode (the attributes as ``ce_*`` headers,
``content-type: application/json``, the CDEvent as the value), keyed by the chain id so
one release's events stay in order on one partition; an idempotent producer with
``acks=all``, and an event delivered only when its delivery report says the brokers wrote
it. The client is confluent-kafka (librdkafka; the ``kafka`` extra)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.events.transports import Refusal
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.events.model import Event

DEFAULT_TOPIC = "cdevents"
# librdkafka properties cibridge sets itself: a configuration cannot weaken them.
FIXED = {"acks": "all", "enable.idempotence": True}


@dataclass
class KafkaSink:
    servers: str
    topic: str = DEFAULT_TOPIC
    properties: Mapping[str, Any] = field(default_factory=dict)
    name: str = "kafka"

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str]) -> KafkaSink:
        found = IntegrationSettings("kafka", "messaging", config, env)
        servers = found.value("bootstrap_servers", variables.name("kafka", "bootstrap_servers"))
        if not servers:
            raise CibridgeError(
                "events: the kafka transport has no bootstrap servers",
                hint="set bootstrap_servers under integration_configs.messaging.kafka, or "
                f"{variables.name('kafka', 'bootstrap_servers')}",
            )
        properties: dict[str, Any] = {}
        raw = found.value("properties") or {}
        if not isinstance(raw, dict):
            raise CibridgeError(
                f"integration_configs.messaging.kafka.properties ({found.where('properties')}) "
                "is a mapping of librdkafka properties"
            )
        properties.update({str(k): v for k, v in raw.items()})
        user = found.value("sasl_username", variables.name("kafka", "sasl_username"))
        password = found.secret("sasl_password", variables.name("kafka", "sasl_password"))
        if user:
            properties.setdefault("security.protocol", "sasl_ssl")
            properties.setdefault("sasl.mechanisms", found.value("sasl_mechanism", "", "PLAIN"))
            properties["sasl.username"], properties["sasl.password"] = str(user), password or ""
        ca = found.value("ca_file")
        if ca:
            properties["ssl.ca.location"] = str(ca)
        overridden = sorted(set(properties) & set(FIXED))
        if overridden:
            raise CibridgeError(
                f"integration_configs.messaging.kafka.properties sets {', '.join(overridden)}",
                hint="cibridge always produces with acks=all and enable.idempotence=true",
            )
        topic = str(found.value("topic", "", DEFAULT_TOPIC))
        return cls(servers=str(servers), topic=topic, properties=properties)

    def headers(self, event: Event) -> list[tuple[str, str | bytes | None]]:
        headers: list[tuple[str, str | bytes | None]] = [
            (f"ce_{k}", v.encode()) for k, v in event.cloudevent_attributes().items()
        ]
        return [*headers, ("content-type", b"application/json")]

    def describe(self, event: Event) -> str:
        return (
            f"produce to Kafka topic {self.topic} at {self.servers} (acks=all, idempotent), "
            f"key {event.chain or event.id}, ce_id {event.id}"
        )

    def send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        from cibridge.config.on_demand import require_kafka

        try:
            require_kafka()
        except CibridgeError as error:
            return [Refusal(str(error), final=True)] * len(events)
        from confluent_kafka import KafkaException, Producer

        settings = {
            **self.properties,
            **FIXED,
            "bootstrap.servers": self.servers,
            "message.timeout.ms": int(max(1.0, budget) * 1000),
            "socket.connection.setup.timeout.ms": int(max(1.0, min(budget, 10.0)) * 1000),
        }
        try:
            producer = Producer(settings)
        except KafkaException as error:
            return [Refusal(f"Kafka: {_said(error)}", final=True)] * len(events)
        answers: dict[int, Refusal | None] = {}

        def report(index: int) -> Any:
            def delivered(error: Any, _message: Any) -> None:
                answers[index] = (
                    None
                    if error is None
                    else Refusal(
                        f"Kafka topic {self.topic}: {_said(error)}", final=not error.retriable()
                    )
                )

            return delivered

        for index, event in enumerate(events):
            try:
                producer.produce(
                    self.topic,
                    key=(event.chain or event.id).encode(),
                    value=event.json(),
                    headers=self.headers(event),
                    on_delivery=report(index),
                )
            except (KafkaException, BufferError) as error:
                answers[index] = Refusal(f"Kafka topic {self.topic}: {_said(error)}")
            producer.poll(0)
        producer.flush(max(1.0, budget))
        return [
            answers.get(index, Refusal(f"Kafka at {self.servers}: no delivery report in time"))
            for index in range(len(events))
        ]


def _said(error: Any) -> str:
    from cibridge.core.untrusted import excerpt

    text = error.str() if hasattr(error, "str") else str(error)
    return excerpt(text or type(error).__name__)
