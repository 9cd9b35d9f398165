"""The Kafka transport against librdkafka's own mock cluster (``test.mock.num.brokers``: a
Kafka protocol implementation inside the client, on loopback; no Kafka broker package
runs on these machines): records in the CloudEvents Kafka binding's binary mode, keyed by
the chain, acknowledged by delivery reports; read back by a real consumer."""

from __future__ import annotations

import json

import pytest

from cibridge.config.loader import Config
from cibridge.core.errors import CibridgeError
from cibridge.events.model import Event, stable_id
from cibridge.events.transports.kafka import KafkaSink

MOCK = {"test.mock.num.brokers": 1, "log_level": 0}


def event(n: int) -> Event:
    return Event(
        type="incident.detected",
        id=stable_id("kafka", str(n)),
        source="https://github.com/acme/checkout/actions/runs/7",
        subject_id=f"production/checkout-{n}",
        content={"environment": {"id": "production"}, "service": {"id": "checkout"}},
        chain=stable_id("chain"),
        timestamp="2026-12-04T10:00:00.000Z",
    )


def test_records_follow_the_binary_binding_and_are_acknowledged() -> None:
    from confluent_kafka import Consumer, Producer

    # The mock cluster lives as long as the client that made it; the sink and a consumer
    # reach it through its loopback listeners.
    holder = Producer({"bootstrap.servers": "unused:9092", **MOCK})
    brokers = holder.list_topics(timeout=10).brokers
    servers = ",".join(f"{b.host}:{b.port}" for b in brokers.values())
    real = KafkaSink(servers=servers, properties={"log_level": 0})
    assert real.send([event(1), event(2)], 10) == [None, None]
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": "t",
            "auto.offset.reset": "earliest",
            "log_level": 0,
        }
    )
    consumer.subscribe(["cdevents"])
    records = []
    for _ in range(50):
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            records.append(message)
        if len(records) == 2:
            break
    consumer.close()
    del holder
    assert len(records) == 2
    first = records[0]
    headers = dict(first.headers())
    assert first.key() == event(1).chain.encode()  # one chain, one partition, in order
    assert headers["ce_specversion"] == b"1.0" and headers["ce_id"] == event(1).id.encode()
    assert headers["ce_type"] == b"dev.cdevents.incident.detected.0.3.0"
    assert headers["content-type"] == b"application/json"
    assert json.loads(first.value()) == event(1).as_cdevent()


def test_no_broker_is_a_refusal_within_the_budget() -> None:
    import time

    started = time.monotonic()
    [refusal] = KafkaSink(servers="127.0.0.1:1", properties={"log_level": 0}).send([event(1)], 2)
    assert refusal is not None and "Kafka" in refusal.reason
    assert time.monotonic() - started < 8


def test_the_guarantees_cannot_be_configured_away() -> None:
    config = Config(
        {
            "integration_configs": {
                "messaging": {"kafka": {"bootstrap_servers": "k:9092", "properties": {"acks": "1"}}}
            }
        }
    )
    with pytest.raises(CibridgeError, match="sets acks"):
        KafkaSink.from_config(config, {})


def test_sasl_settings_become_librdkafka_properties() -> None:
    config = Config(
        {
            "integration_configs": {
                "messaging": {
                    "kafka": {
                        "bootstrap_servers": "k:9093",
                        "sasl_username": "ci",
                        "sasl_password": "p4ss",
                    }
                }
            }
        }
    )
    sink = KafkaSink.from_config(config, {})
    assert sink.properties == {
        "security.protocol": "sasl_ssl",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": "ci",
        "sasl.password": "p4ss",
    }
    assert "p4ss" not in sink.describe(event(1))
