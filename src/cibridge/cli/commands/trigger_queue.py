"""Where ``trigger --from`` reads: the queue settings beside the event stream's transports
(``integration_configs.messaging``), with the same connection settings and secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.cli.runtime import Runtime
    from cibridge.clients.queues import Message

DEFAULTS = {
    "nats": {"trigger_subject": "jira.webhooks", "trigger_stream": "JIRA_WEBHOOKS"},
    "rabbitmq": {"trigger_queue": "cibridge-trigger"},
    "kafka": {"trigger_topic": "jira-webhooks"},
}
GROUP = "cibridge-trigger"  # the NATS durable consumer and the Kafka consumer group


def messages(runtime: Runtime, kind: str, count: int, seconds: float) -> Iterator[Message]:
    from cibridge.clients import queues
    from cibridge.config import on_demand

    limits = queues.Limits(count, seconds)
    found = IntegrationSettings(kind, "messaging", runtime.config, runtime.env)

    def setting(key: str) -> str:
        return str(found.value(key, "", DEFAULTS[kind][key]))

    if kind == "nats":
        from cibridge.events.transports.nats import NatsSink

        on_demand.require_nats()
        sink = NatsSink.from_config(runtime.config, runtime.env)
        yield from queues.nats_messages(
            sink.options(seconds),
            setting("trigger_stream"),
            setting("trigger_subject"),
            GROUP,
            limits,
        )
    elif kind == "rabbitmq":
        from cibridge.events.transports.rabbitmq import RabbitSink

        on_demand.require_rabbitmq()
        rabbit = RabbitSink.from_config(runtime.config, runtime.env)
        yield from queues.rabbitmq_messages(
            rabbit.url, setting("trigger_queue"), rabbit.where(), limits
        )
    else:
        from cibridge.events.transports.kafka import KafkaSink

        on_demand.require_kafka()
        kafka = KafkaSink.from_config(runtime.config, runtime.env)
        settings = {**kafka.properties, "bootstrap.servers": kafka.servers, "group.id": GROUP}
        yield from queues.kafka_messages(settings, setting("trigger_topic"), limits)
