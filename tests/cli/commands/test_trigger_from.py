"""`trigger --from nats|rabbitmq|kafka`: Jira webhook deliveries a receiver put on a queue
start their pipelines exactly as `--event-file` does, against the Jira and GitHub API
stand-ins; a real nats-server and rabbitmq-server, and librdkafka's mock cluster for
Kafka. Each delivery is acknowledged only once its dispatch is recorded: a failed one
stays on the queue, a message that is no delivery is dropped with a warning, and a second
run starts nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from cibridge.demo.standins import GITHUB_API_TOKEN, GitHubApi, StandIns, jira_of
from tests.e2e.harness import nats_server, rabbitmq_server
from tests.trigger.helpers import configs, seed_projects

pytestmark = pytest.mark.e2e
TRIGGER_KEY = "0f" * 32


def delivery(key: str) -> bytes:
    return json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"key": key, "fields": {"status": {"name": "Ready for Deployment"}}},
            "changelog": {
                "id": "1",
                "items": [{"field": "status", "toString": "Ready for Deployment"}],
            },
        }
    ).encode()


@pytest.fixture
def env(stand_ins: StandIns) -> dict[str, str]:
    seed_projects(stand_ins)
    return {
        **stand_ins.env(),
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_TRIGGER_KEY": TRIGGER_KEY,
    }


def dispatches(stand_ins: StandIns) -> list[dict[str, object]]:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi)).dispatches


def publish_nats(url: str, bodies: list[bytes]) -> None:
    async def put() -> None:
        import nats

        client = await nats.connect(url)
        js = client.jetstream()
        await js.add_stream(name="JIRA_WEBHOOKS", subjects=["jira.webhooks"])
        for body in bodies:
            await js.publish("jira.webhooks", body)
        await client.close()

    asyncio.run(put())


def pending_nats(url: str) -> int:
    async def count() -> int:
        import nats

        client = await nats.connect(url)
        info = await client.jetstream().consumer_info("JIRA_WEBHOOKS", "cibridge-trigger")
        await client.close()
        return int(info.num_pending + info.num_ack_pending)

    return asyncio.run(count())


def test_deliveries_on_nats_start_each_pipeline_once(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    ready = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    with nats_server(tmp_path) as server:
        publish_nats(server.url, [delivery(ready), b"not json at all"])
        argv = [*configs(tmp_path), "trigger", "--from", "nats", "--dispatch", "--max-seconds", "5"]
        first = cli(*argv, env={**env, "NATS_URL": server.url})
        again = cli(*argv, env={**env, "NATS_URL": server.url})
        left = pending_nats(server.url)
    assert first.code == 0, first.all
    assert len(dispatches(stand_ins)) == 1
    assert "is no delivery, dropped" in first.err  # the junk message, acknowledged
    assert left == 0  # both acknowledged: nothing is delivered again
    assert again.code == 0 and "no delivery waiting on nats" in again.out
    assert len(dispatches(stand_ins)) == 1


def test_a_failed_dispatch_leaves_the_delivery_on_the_queue(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    jira = jira_of(stand_ins)
    ready = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    with rabbitmq_server(tmp_path) as node:
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(node.url))
        channel = connection.channel()
        channel.queue_declare("cibridge-trigger", durable=True)
        channel.basic_publish("", "cibridge-trigger", delivery(ready))
        connection.close()
        argv = [
            *configs(tmp_path),
            "trigger",
            "--from",
            "rabbitmq",
            "--dispatch",
            "--max-seconds",
            "5",
        ]
        refused = cli(
            *argv, env={**env, "RABBITMQ_URL": node.url, "GITHUB_TOKEN": "a-token-github-refuses"}
        )
        accepted = cli(*argv, env={**env, "RABBITMQ_URL": node.url})
        connection = pika.BlockingConnection(pika.URLParameters(node.url))
        waiting = (
            connection.channel()
            .queue_declare("cibridge-trigger", passive=True)
            .method.message_count
        )
        connection.close()
    assert refused.code == 1, refused.all
    assert accepted.code == 0, accepted.all
    assert len(github.dispatches) == 1  # the delivery came back and was started once
    assert waiting == 0


def test_deliveries_on_kafka_are_committed_once_started(
    cli, stand_ins: StandIns, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from confluent_kafka import Producer

    jira = jira_of(stand_ins)
    ready = jira.add_issue("PROJ1", "Ship it", issue_type="Story", status="Ready for Deployment")
    cluster = Producer(
        {"bootstrap.servers": "unused:9092", "test.mock.num.brokers": 1, "log_level": 0}
    )
    servers = ",".join(
        f"{b.host}:{b.port}" for b in cluster.list_topics(timeout=10).brokers.values()
    )
    cluster.produce("jira-webhooks", value=delivery(ready))
    cluster.flush(10)
    (tmp_path / "kafka.yml").write_text(
        "integration_configs:\n  messaging:\n    kafka:\n"
        f"      bootstrap_servers: '{servers}'\n      properties: {{log_level: 0}}\n"
    )
    argv = [*configs(tmp_path), "--config", str(tmp_path / "kafka.yml"), "trigger", "--from", "kafka",
            "--dispatch", "--max-seconds", "15"]  # fmt: skip
    first = cli(*argv, env=env)
    again = cli(*argv, "--max-seconds", "6", env=env)
    del cluster
    assert first.code == 0, first.all
    assert again.code == 0 and "no delivery waiting on kafka" in again.out, again.all
    assert len(dispatches(stand_ins)) == 1


def test_from_cannot_be_combined_with_another_source(
    cli, env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    done = cli(*configs(tmp_path), "trigger", "--from", "nats", "--issue", "PROJ1-1", env=env)
    assert done.code == 2 and "--from reads its deliveries from the queue" in done.err
