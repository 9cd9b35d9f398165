"""The loopback HTTP server every stand-in shares.

It records each request, routes it by path prefix to one service, and encodes the
service's answer. Services know nothing of sockets or threads; the server knows nothing
of any service, so adding one (Jira, a CI platform's API) never touches this module.

Stopping is immediate: the accept loop waits on the listening socket *and* a wake-up
socket, so ``stop()`` never sits out a poll interval the way ``serve_forever`` does, and
connections still open are shut down so no handler thread outlives the test.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    """One request as the stand-in saw it, with what it answered."""

    service: str
    path: str
    headers: dict[str, str]
    raw: bytes
    status: int
    answer: bytes
    method: str = "POST"

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class Behaviour:
    """Knobs tests turn: throttle the next requests, require a DingTalk keyword, ...

    The throttle applies to every service and is handled here; the other knobs belong
    to one service each but live together so a test has a single object to turn.
    """

    throttle_next: int = 0
    retry_after: str = "1"
    dingtalk_keyword: str = ""
    dingtalk_per_minute: int = 20
    slack_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    slack_history_scope: bool = True  # False: the app lacks channels:history
    mattermost_posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> post
    discord_forum: bool = False  # the webhook's channel is a forum: a thread is required
    discord_rate_limited: int = 0  # the next N Discord requests answer 429
    discord_retry_after: float = 0.25
    # The first `parties` conversations.history reads wait for each other: two jobs that
    # look for a release's parent at the same moment, before either has posted one.
    slack_history_barrier: threading.Barrier | None = None
    telegram_rate_limited: int = 0  # the next N Telegram requests answer 429 (body only)
    telegram_retry_after: int = 1
    slack_files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> upload
    slack_files_scope: bool = True  # False: the app lacks files:write
    # Where the published API descriptions are (Jira OpenAPI, ADF schema); None: the
    # stand-ins check by their own rules only.
    specs: Path | None = None


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # as sent: path and query
    path: str
    query: dict[str, str]  # the first value of each parameter, as the services read them
    headers: dict[str, str]
    raw: bytes

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], raw: bytes) -> Request:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return cls(method, target, parts.path, query, headers, raw)

    def json(self) -> Any:
        """The body as JSON; raises ValueError, as the services expect, when it is not."""
        return json.loads(self.raw)


@dataclass(frozen=True)
class Answer:
    """A service's reply. ``bytes`` go out as text/plain, anything else as JSON."""

    status: int
    body: object = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        if isinstance(self.body, bytes):
            return self.body, {"Content-Type": "text/plain", **self.headers}
        return json.dumps(self.body).encode(), {"Content-Type": "application/json", **self.headers}


class Service(Protocol):
    """One stand-in service, mounted under ``prefix`` (e.g. ``/slack``)."""

    @property
    def name(self) -> str: ...

    @property
    def prefix(self) -> str: ...

    def handle(self, request: Request) -> Answer: ...

    def env(self, base_url: str) -> dict[str, str]:
        """Environment variables that point cibridge at this service on ``base_url``."""
        ...


# A raw handler writes whatever it likes to the socket (half a body, a bad status line,
# a drip feed, nothing at all): the way to test how the client copes with misbehaviour.
RawHandler = Callable[[Request, BaseHTTPRequestHandler], None]


@dataclass
class _Override:
    handler: RawHandler
    remaining: int | None


def _cut(connection: socket.socket) -> None:
    # Shutting the socket down (not just closing it) wakes a handler thread blocked
    # reading a client that never finishes its request.
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are daemons and never joined: a request stuck in flight must not
    # hold up the test (or the demo) that is done with the server.
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LoopbackServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connections cut by stop() fail mid-write; that is expected, not worth a traceback.
        if not self.owner.stopped.is_set():
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    def setup(self) -> None:
        super().setup()
        self._owner().track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._owner().track(self.connection, open_=False)

    def _owner(self) -> LoopbackServer:
        return cast(_HTTPServer, self.server).owner

    def _exchange(self) -> None:
        owner = self._owner()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        headers = dict(self.headers)
        request = Request.parse(self.command, self.path, headers, raw)
        raw_handler = owner.take_override(request.path)
        if raw_handler is not None:
            # What a raw handler writes is not parsed back (it may be malformed on purpose).
            owner.record(
                Received(
                    owner.name_for(request.path), self.path, headers, raw, 0, b"", self.command
                )
            )
            raw_handler(request, self)
            return
        service, status, body, extra = owner.dispatch(request)
        # Recorded before answering, so a test sees it as soon as the client returns.
        owner.record(Received(service, self.path, headers, raw, status, body, self.command))
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _exchange

    def log_message(self, format: str, *args: Any) -> None:
        return


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 with a free port, serving ``services``."""

    def __init__(self, services: Iterable[Service], behaviour: Behaviour) -> None:
        # Longest prefix first, so "/github/graphql" can sit beside "/github".
        self.services = sorted(services, key=lambda s: len(s.prefix), reverse=True)
        prefixes = [s.prefix for s in self.services]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"two stand-ins share a path prefix: {prefixes}")
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._overrides: dict[str, _Override] = {}
        self._connections: set[socket.socket] = set()
        self._httpd = _HTTPServer(self)
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="standins", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self._wake_write.send(b"x")
        if self._thread.is_alive():
            self._thread.join()
        self._httpd.server_close()
        with self._lock:
            still_open = list(self._connections)
        for connection in still_open:
            _cut(connection)
        self._wake_read.close()
        self._wake_write.close()

    def override(self, path: str, handler: RawHandler, *, times: int | None = None) -> None:
        """Answer requests for ``path`` (no query) with ``handler``, ``times`` times or
        until stopped; the service mounted there answers again afterwards."""
        with self._lock:
            self._overrides[path] = _Override(handler, times)

    # -- used by the request handler, on its own thread -----------------------------------

    def take_override(self, path: str) -> RawHandler | None:
        with self._lock:
            found = self._overrides.get(path)
            if found is None:
                return None
            if found.remaining is not None:
                found.remaining -= 1
                if found.remaining <= 0:
                    del self._overrides[path]
            return found.handler

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if not open_:
                self._connections.discard(connection)
                return
            if not self.stopped.is_set():
                self._connections.add(connection)
                return
        # Accepted just as stop() collected the open connections: cut it here instead.
        _cut(connection)

    def route(self, path: str) -> Service | None:
        for service in self.services:
            if path == service.prefix or path.startswith(service.prefix.rstrip("/") + "/"):
                return service
        return None

    def name_for(self, path: str) -> str:
        service = self.route(path)
        if service is not None:
            return service.name
        return path.split("/")[1] if "/" in path else ""

    def dispatch(self, request: Request) -> tuple[str, int, bytes, dict[str, str]]:
        name = self.name_for(request.path)
        with self._lock:
            throttled = self.behaviour.throttle_next > 0
            if throttled:
                self.behaviour.throttle_next -= 1
        if throttled:
            return name, 429, b"rate_limited", {"Retry-After": self.behaviour.retry_after}
        service = self.route(request.path)
        if service is None:
            return name, 404, b"not found", {}
        answer = service.handle(request)
        body, headers = answer.encode()
        return name, answer.status, body, headers

    # -- the accept loop ------------------------------------------------------------------

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd.socket, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self.stopped.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_read:
                        return
                    self._accept()

    def _accept(self) -> None:
        try:
            connection, address = self._httpd.get_request()
        except OSError:
            return  # the client gave up between select and accept
        try:
            self._httpd.process_request(connection, address)  # a daemon thread per connection
        except Exception:
            self._httpd.handle_error(connection, address)
            self._httpd.shutdown_request(connection)
