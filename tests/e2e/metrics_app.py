"""A loopback service for the gate's end-to-end tests and benchmark: it serves ``/metrics``
for a real Prometheus to scrape and ``/health``, and makes up its own traffic.

Traffic is accounted lazily: each scrape (and each switch) adds ``rps × elapsed seconds``
requests at the settings in force over that time, so the rates Prometheus computes are the
configured ones whatever the scrape timing, and a switch at t0 shows from the first scrape
after t0 on, never before. ``rps=0`` is a service with no traffic: its counters stay put, so
an error ratio is 0/0 (NaN), as with a real idle service. With ``rng``, errors come in whole
numbers drawn from a Poisson distribution, as a real service's do (the benchmark's A/A runs);
without it they are exact fractions, so tests see exactly the configured ratio.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class MetricsApp:
    def __init__(
        self,
        *,
        rps: float = 100.0,
        error_rate: float = 0.0,
        latency: float = 0.02,
        rng: random.Random | None = None,
    ) -> None:
        self.rng = rng
        self.rps = rps
        self.error_rate = error_rate
        self.latency = latency
        self.healthy = True
        self.requests = {"200": 0.0, "500": 0.0}
        self.buckets = [0.0] * (len(BUCKETS) + 1)  # the last one is +Inf
        self.latency_sum = 0.0
        self.scrapes = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def target(self) -> str:
        """``host:port`` for a scrape config."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.target}"

    def __enter__(self) -> MetricsApp:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def switch(
        self,
        *,
        rps: float | None = None,
        error_rate: float | None = None,
        latency: float | None = None,
        healthy: bool | None = None,
    ) -> None:
        """Change the behaviour from now on (the time so far is counted at the old one)."""
        with self._lock:
            self._advance()
            self.rps = self.rps if rps is None else rps
            self.error_rate = self.error_rate if error_rate is None else error_rate
            self.latency = self.latency if latency is None else latency
            self.healthy = self.healthy if healthy is None else healthy

    def _advance(self) -> None:
        now = time.monotonic()
        served = self.rps * (now - self._last)
        self._last = now
        errors = served * self.error_rate
        if self.rng is not None:
            errors = min(served, float(_poisson(self.rng, errors)))
        self.requests["500"] += errors
        self.requests["200"] += served - errors
        for index, bound in enumerate((*BUCKETS, float("inf"))):
            if self.latency <= bound:
                self.buckets[index] += served
        self.latency_sum += served * self.latency

    def exposition(self) -> str:
        with self._lock:
            self._advance()
            self.scrapes += 1
            lines = ["# TYPE http_requests_total counter"]
            lines += [
                f'http_requests_total{{status="{status}"}} {count!r}'
                for status, count in self.requests.items()
            ]
            lines.append("# TYPE http_request_duration_seconds histogram")
            for bound, count in zip((*BUCKETS, float("inf")), self.buckets, strict=True):
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f'http_request_duration_seconds_bucket{{le="{le}"}} {count!r}')
            lines.append(f"http_request_duration_seconds_sum {self.latency_sum!r}")
            lines.append(f"http_request_duration_seconds_count {self.buckets[-1]!r}")
        return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    self._send(200, "text/plain; version=0.0.4", app.exposition())
                elif self.path == "/health":
                    status = 200 if app.healthy else 503
                    body = json.dumps({"status": "ok" if app.healthy else "down"})
                    self._send(status, "application/json", body)
                else:
                    self._send(404, "text/plain", "not found\n")

            def _send(self, status: int, kind: str, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # the normal approximation is close enough there, and Knuth's loop slow
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
