"""The demo's gate chapter: a loopback service judged by the gate, healthy and then broken.

With the ``prometheus`` binary installed, a real Prometheus (on a loopback port, a
temporary directory for its data) scrapes the service four times a second, and the gate's metric
checks query it; without it, the chapter runs the health checks only and says so. With the
Datadog stand-in among the demo's, one more check runs in "Datadog": the service's latency
as the stand-in's timeseries API reports it, judged on whole buckets like a real Datadog
check. Either way the second run breaks the service and the gate must say fail and roll
back: the chapter returns 1 if the gate misjudges either run.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns
    from cibridge.gate.results import GateResult
    from cibridge.gate.settings import GateSettings
    from cibridge.http.transport import Transport

SERVICE = "checkout"
LATENCY = f"avg:trace.http.request.duration.by.service.95p{{service:{SERVICE}}} by {{version}}"
READY_TIMEOUT = 20.0  # Prometheus start and first scrape, bounded


class DemoService:
    """A loopback service with /health and /metrics whose error ratio the demo switches."""

    def __init__(self) -> None:
        self.broken = False
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    ratio = 0.25 if service.broken else 0.002
                    body = (f"# TYPE demo_error_ratio gauge\ndemo_error_ratio {ratio}\n").encode()
                    status, kind = 200, "text/plain; version=0.0.4"
                else:
                    state = "DOWN" if service.broken else "UP"
                    body = json.dumps({"status": state}).encode()
                    status, kind = (503 if service.broken else 200), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        # Polled often, so stopping it does not wait out the default half second.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> DemoService:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def real_prometheus(binary: str, target: str, transport: Transport) -> Iterator[str]:
    """A Prometheus scraping ``target`` four times a second, ready and holding a first sample."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cibridge-demo-prom-") as folder:
        config = f"{folder}/prometheus.yml"
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(
                "global: {scrape_interval: 250ms, scrape_timeout: 250ms}\n"
                f"scrape_configs: [{{job_name: {SERVICE}, "
                f"static_configs: [{{targets: ['{target}']}}]}}]\n"
            )
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder}/data",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(transport, base, f'up{{job="{SERVICE}"}}', process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(
    transport: Transport, base: str, promql: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Until Prometheus answers ``promql`` with a series (bounded): what it has scraped."""
    from urllib.parse import quote

    from cibridge.core.errors import CibridgeError, failure

    deadline = time.monotonic() + READY_TIMEOUT
    query = f"{base}/api/v1/query?query={quote(promql)}"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise failure("demo: Prometheus exited while starting")
        try:
            answer = transport.request("GET", query, what="demo Prometheus").json()
        except CibridgeError:
            answer = None
        if isinstance(answer, dict) and (answer.get("data") or {}).get("result"):
            return
        time.sleep(0.25)
    raise failure(f"demo: Prometheus did not show {promql} within {READY_TIMEOUT:.0f}s")


def configuration(port: int, with_metrics: bool, with_datadog: bool = False) -> dict[str, Any]:
    """The chapter's ``post_deployment_validation``, as a .cibridge.yml would write it: the
    demo loads it like any configuration and shows it at the end."""
    metrics = [
        {
            "name": "availability",
            "query": f'up{{job="{SERVICE}"}}',
            "expected_value": 1,
            "tolerance": 0,
            "failure_action": "rollback",
        },
        {
            "name": "error_ratio",
            "query": f'max(demo_error_ratio{{job="{SERVICE}"}})',
            "max_value": 0.01,
            "duration": "2s",
            "interval": "1s",
            "failure_action": "rollback",
        },
    ]
    if not with_metrics:
        metrics = []
    if with_datadog:
        metrics.append(
            {
                "name": "p95_latency",
                "source": "datadog",
                "query": LATENCY.replace(SERVICE, "{{ service_name }}"),
                "max_value": 0.5,
                "interval": "2s",
                "bucket": "1s",
                "failure_action": "rollback",
            }
        )
    health = {
        "name": "health",
        "url": f"http://127.0.0.1:{port}/health",
        "json_path": "status",
        "json_value": "UP",
        "timeout": "2s",
        "retries": 1,
        "interval": 0.2,
        "failure_action": "rollback",
    }
    tcp = {"name": "tcp", "host": "127.0.0.1", "port": port, "timeout": "2s"}
    return {
        "post_deployment_validation": {
            **({"metrics_validation": metrics} if metrics else {}),
            "health_check_validation": {"http_checks": [health], "tcp_checks": [tcp]},
            # Two failed observations (health and metrics agreeing), or the health check alone.
            "rollback_policy": {
                "enabled": True,
                "max_failures": 2 if metrics else 1,
                "rollback_pipeline": f"rollback-{SERVICE}",
            },
        }
    }


def checks(port: int, with_metrics: bool, with_datadog: bool = False) -> GateSettings:
    from cibridge.config.loader import Config
    from cibridge.gate import plan, settings

    loaded = settings.load(Config(data=configuration(port, with_metrics, with_datadog)))
    return plan.render(loaded, {"service_name": SERVICE})


def _datadog(
    stand_ins: StandIns | None, demo: DemoService, env: dict[str, str], transport: Transport
) -> DatadogClient | None:
    """The Datadog stand-in's client, its latency series following the demo service."""
    from cibridge.config.loader import Config
    from cibridge.demo.standins.datadog import Datadog
    from cibridge.gate import datadog

    found = [s for s in (stand_ins.services if stand_ins else ()) if isinstance(s, Datadog)]
    if not found:
        return None
    found[0].series[LATENCY] = lambda _at: {("version:2.0.0",): 1.8 if demo.broken else 0.12}
    return datadog.client(Config(), env, transport)


def _show(stage: Stage, result: GateResult) -> None:
    from cibridge.gate import summary
    from cibridge.report.outputs import table

    stage.platform.print(table(summary.COLUMNS, summary.rows(result), rendered=False))
    stage.platform.print(summary.headline(result))


def chapter(stage: Stage, env: dict[str, str], stand_ins: StandIns | None = None) -> int:
    """Gate a healthy service (must pass), then the same service broken (must roll back)."""
    from cibridge.clients.prometheus import PrometheusClient
    from cibridge.gate import service
    from cibridge.http.transport import HttpSettings, Transport

    print_ = stage.platform.print
    binary = shutil.which("prometheus", path=env.get("PATH"))
    transport = Transport(HttpSettings.from_env(env))
    with DemoService() as demo, contextlib_exit(transport):
        target = f"127.0.0.1:{demo.port}"
        with _maybe_prometheus(binary, target, transport) as base:
            if base:
                print_(
                    f"A real Prometheus ({binary}) scrapes the demo service four times a second."
                )
            else:
                print_(
                    "prometheus is not installed: this chapter runs the health checks only "
                    "(install the prometheus package to see metric checks against a real one)."
                )
            client = PrometheusClient(transport, base) if base else None
            datadog = _datadog(stand_ins, demo, env, transport)
            if datadog is not None:
                print_("The Datadog stand-in answers the p95_latency check (source: datadog).")
            with_datadog = datadog is not None
            stage.used.update(configuration(demo.port, bool(base), with_datadog))
            settings = checks(demo.port, bool(base), with_datadog)
            deps = service.Dependencies(client, transport, progress=print_, datadog=datadog)
            print_("\nThe service is healthy:")
            healthy = service.run(service.GateRequest(settings, time.time()), deps)
            _show(stage, healthy)
            demo.broken = True
            if base:  # judged on what Prometheus has scraped, not on a guessed delay
                _wait_for(transport, base, f'demo_error_ratio{{job="{SERVICE}"}} > 0.1')
            print_("\nThe same service after a bad deploy (25% errors, /health DOWN):")
            broken = service.run(service.GateRequest(settings, time.time()), deps)
            _show(stage, broken)
            stage.published["gate"] = broken
    right = healthy.verdict == "pass" and broken.action == "rollback"
    if not right:
        stage.platform.error("demo: the gate misjudged the service (see above)")
    return EXIT_OK if right else EXIT_FAILURE


@contextmanager
def contextlib_exit(transport: Transport) -> Iterator[None]:
    try:
        yield
    finally:
        transport.close()


@contextmanager
def _maybe_prometheus(binary: str | None, target: str, transport: Transport) -> Iterator[str]:
    if binary is None:
        yield ""
        return
    with real_prometheus(binary, target, transport) as base:
        yield base
