"""What an event stream costs one `cibridge notify`, and how fast `events flush` empties a
spool.

1. Whole `cibridge notify --to webhook --event deploy` processes as in a GitHub job (two
   events each: taskrun.finished and service.deployed), without events, with
   `CIBRIDGE_EVENTS_TO=http` (a loopback sink) and with `CIBRIDGE_EVENTS_TO=nats` (a real
   nats-server -js), interleaved in one run. Target: each with events <= 1.15 x without.
2. 10,000 events written to a spool, then one `cibridge events flush` process to NATS and
   one to RabbitMQ (a real rabbitmq-server, a queue bound to the exchange): events per
   second, and that the stream or queue holds 10,000 after it.

    python benchmarks/events.py [--runs 20] [--flush 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _timing import report, time_commands

TARGET = 1.15
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "github_push.json"


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _nats(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("nats-server")
    if binary is None:
        raise SystemExit("nats-server is not installed (bash .ci/run installs it)")
    port = _port()
    process = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"nats://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("nats-server did not start")


def _stream_size(url: str) -> int:
    async def size() -> int:
        import nats

        client = await nats.connect(url)
        try:
            info = await client.jetstream().stream_info("CDEVENTS")
            return int(info.state.messages)
        finally:
            await client.close()

    return asyncio.run(size())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--flush", type=int, default=10_000)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        nats, nats_url = _nats(Path(scratch) / "nats")
        try:
            github = {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "push",
                "GITHUB_EVENT_PATH": str(FIXTURE),
                "GITHUB_REPOSITORY": "acme/checkout",
                "GITHUB_RUN_ID": "1",
                "GITHUB_SHA": "0" * 40,
                "GITHUB_OUTPUT": str(Path(scratch) / "output"),
                "CIBRIDGE_WEBHOOK_URL": f"{base}/hook",
                "CIBRIDGE_ENVIRONMENT": "production",
                "CIBRIDGE_EVENTS_URL": f"{base}/sink",
                "NATS_URL": nats_url,
                "CIBRIDGE_EVENTS_SPOOL": str(Path(scratch) / "spool"),
                "CIBRIDGE_CACHE_DIR": str(Path(scratch) / "cache"),
            }
            notify = [python, "-m", "cibridge", "notify", "--to", "webhook", "--status",
                      "success", "--event", "deploy"]  # fmt: skip
            commands = {
                "notify, no events": notify,
                "notify, events to http": [*notify, "--events-to", "http"],
                "notify, events to nats": [*notify, "--events-to", "nats"],
            }
            timings = time_commands(commands, args.runs, env=github, cwd=scratch)
            ratios = report(timings, "notify, no events")
            for name in ("notify, events to http", "notify, events to nats"):
                verdict = "meets" if ratios[name] <= TARGET else "MISSES"
                print(f"{name}: {verdict} the {TARGET} target")
            rate = _flush(python, github, "nats", args.flush, Path(scratch))
            print(f"events flush to nats: {args.flush} events, {rate:.0f} events/s")
            if _stream_size(nats_url) < args.flush:
                raise SystemExit("the NATS stream does not hold every event")
            with _rabbit(Path(scratch) / "rabbit") as rabbit_url:
                queue = _bound_queue(rabbit_url)
                rate = _flush(
                    python,
                    {**github, "RABBITMQ_URL": rabbit_url},
                    "rabbitmq",
                    args.flush,
                    Path(scratch),
                )
                print(f"events flush to rabbitmq: {args.flush} events, {rate:.0f} events/s")
                if _queued(rabbit_url, queue) < args.flush:
                    raise SystemExit("the RabbitMQ queue does not hold every event")
        finally:
            nats.terminate()
            nats.wait(timeout=10)
    server.shutdown()
    return 0


def _flush(python: str, env: dict[str, str], transport: str, count: int, scratch: Path) -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from cibridge.events import spool
    from cibridge.events.model import Event, stable_id

    events = [
        Event(
            type="ticket.updated",
            id=stable_id("benchmark", str(n)),
            source="https://github.com/acme/checkout/actions/runs/1",
            subject_id=f"PROJ-{n}",
            content={"uri": f"https://acme.atlassian.net/browse/PROJ-{n}"},
        )
        for n in range(count)
    ]
    where = scratch / f"flush-spool-{transport}"
    spool.keep(where, transport, events)
    full = {**os.environ, **env, "CIBRIDGE_EVENTS_SPOOL": str(where)}
    full["CIBRIDGE_EVENTS_TO"] = transport
    # The default 10 s budget is for one command's few events; a spool of thousands gets more.
    (scratch / "flush.yml").write_text("events:\n  timeout: 300s\n")
    started = time.perf_counter()
    done = subprocess.run(
        [python, "-m", "cibridge", "--config", str(scratch / "flush.yml"), "events", "flush"],
        env=full, cwd=scratch, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or f"{count} event(s) delivered to {transport}" not in done.stdout:
        raise SystemExit(f"flush failed: {done.stdout[-500:]}{done.stderr[-1500:]}")
    return count / elapsed


@contextlib.contextmanager
def _rabbit(base: Path) -> Iterator[str]:
    """A RabbitMQ node of its own (Debian's rabbitmq-server, as this user, no plugins)."""
    binary = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    if not Path(binary).is_file():
        raise SystemExit("rabbitmq-server is not installed (bash .ci/run installs it)")
    base.mkdir()
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq.conf").write_text("loopback_users = none\n")
    port = _port()
    env = {
        **os.environ, "HOME": str(base), "RABBITMQ_NODENAME": f"bench{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(_port()), "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"), "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
    }  # fmt: skip
    process = subprocess.Popen(
        [binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"amqp://guest:guest@127.0.0.1:{port}/%2F"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _bound_queue(url: str) -> str:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare("cdevents", exchange_type="topic", durable=True)
    channel.queue_declare("benchmark", durable=True)
    channel.queue_bind("benchmark", "cdevents", "#")
    connection.close()
    return "benchmark"


def _queued(url: str, queue: str) -> int:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    count = connection.channel().queue_declare(queue, passive=True).method.message_count
    connection.close()
    return int(count or 0)


if __name__ == "__main__":
    sys.exit(main())
