"""The demo's event-stream chapter: what the chapters before it did, as CDEvents of one
chain, published to the CloudEvents sink stand-in and, when nats-server is installed, to a
real NATS JetStream started for the chapter."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cibridge.config.loader import Config
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns
    from cibridge.events.model import Event

NATS_START = 20.0  # seconds nats-server may take to listen


def chapter(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    import argparse

    from cibridge.events import from_command, publish
    from cibridge.events.settings import EventSettings

    print_ = stage.platform.print
    context = stage.context
    context.environment = context.environment or "production"
    run = from_command.run_of(context, env)
    deploy = argparse.Namespace(status="success", event="deploy")
    events: list[Event] = [
        *from_command.notify(run, deploy, {}),
        *from_command.gate(
            run,
            {"service_name": "checkout"},
            {"result": "fail", "action": "rollback", "rollback-dispatched": "true"},
        ),
    ]
    print_(
        "A deploy notification, then the gate failing and starting the rollback, as "
        f"CDEvents of one chain ({run.chain}):"
    )
    for event in events:
        print_(f"  {event.type:<20} {event.id}  subject {event.subject_id}")
    binary = shutil.which("nats-server", path=env.get("PATH"))
    with tempfile.TemporaryDirectory() as spool, _maybe_nats(binary) as nats_url:
        transports: tuple[str, ...] = ("http", "nats") if nats_url else ("http",)
        config = Config(
            {"integration_configs": {"messaging": {"nats": {"url": nats_url or "nats://x"}}}},
            env=env,
        )
        settings = EventSettings(transports, Path(spool), False, 10.0)
        complete = publish.publish(events, settings, config, env, stage.platform)
    if not nats_url:
        print_(
            "nats-server is not installed: the events went to the HTTP sink only (install "
            "the nats-server package to see them land in a JetStream stream too)."
        )
    received = next(s for s in stand_ins.services if s.name == "cdevents")
    held = received.events  # type: ignore[attr-defined]
    print_(f"The CloudEvents sink holds {len(held)} event(s):")
    for document in held:
        context_ = document["context"]
        links = ", ".join(
            f"{link['linkKind']} → {link['target']['contextId']}"
            for link in context_.get("links", [])
        )
        print_(f"  {context_['type']}" + (f"  ({links})" if links else ""))
    right = complete and len(held) == len(events)
    if not right:
        stage.platform.error("demo: not every event reached the sink (see above)")
    return EXIT_OK if right else EXIT_FAILURE


@contextlib.contextmanager
def _maybe_nats(binary: str | None) -> Iterator[str]:
    if binary is None:
        yield ""
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as store:
        process = subprocess.Popen(
            [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + NATS_START
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                time.sleep(0.1)
            yield f"nats://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
