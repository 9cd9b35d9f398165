"""The one server harness of the HTTP tests: a transport whose sleeps are recorded, a raw
socket server for misbehaviour, an https server with its own CA, and a
listener whose backlog is full (the second origin, ``other_server``, is tests/conftest.py's).

pytest-httpserver's ``httpserver`` is the well-behaved server; ``raw_server(handler)`` starts
one whose ``handler(server, conn)`` gets each accepted socket (``silent``, ``drip_headers``,
``drip_body``, ``keep_alive`` and ``answer(raw)`` below are the usual ones)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.http.transport import HttpSettings, Transport
from tests.http.tls import https_server

CANARIES = ("canaryuser", "canarypass", "canarypath", "canaryquery")


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def transport(waits: list[float]) -> Iterator[Callable[..., Transport]]:
    """``transport(retries=0, ...)``: HttpSettings fields; sleeps are recorded, not slept."""
    made: list[Transport] = []

    def make(jitter: Callable[[], float] = lambda: 0.0, **fields: object) -> Transport:
        made.append(Transport(HttpSettings(**fields), sleep=waits.append, jitter=jitter))
        return made[-1]

    yield make
    for item in made:
        item.close()


class RawServer:
    """A loopback server whose handler gets each accepted socket. Every thread it starts
    ends with the test: handlers wait on ``stop``, and close() shuts every socket down."""

    def __init__(self, handler: Callable[[RawServer, socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.requests: list[bytes] = []
        self.connections: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, args=(handler,), daemon=True)]
        self.threads[0].start()

    def _accept(self, handler: Callable[[RawServer, socket.socket], None]) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(handler, conn), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(
        self, handler: Callable[[RawServer, socket.socket], None], conn: socket.socket
    ) -> None:
        with contextlib.suppress(OSError):
            handler(self, conn)

    def read_request(self, conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        self.requests.append(head)
        return head

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[RawServer, socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Callable[[RawServer, socket.socket], None]) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def silent(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    server.stop.wait()


def drip_headers(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not server.stop.wait(0.2):
        conn.sendall(b"a")


def drip_body(server: RawServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not server.stop.wait(0.2):
        conn.sendall(b"a")


def answer(raw: bytes) -> Callable[[RawServer, socket.socket], None]:
    """Send ``raw`` to each request, then hang up."""

    def handler(server: RawServer, conn: socket.socket) -> None:
        server.read_request(conn)
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_RDWR)

    return handler


def keep_alive(server: RawServer, conn: socket.socket) -> None:
    while server.read_request(conn) is not None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def canary_url(base: str) -> str:
    return base.replace("://", "://canaryuser:canarypass@") + "/canarypath/x?token=canaryquery"


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A listener whose one-place queue is taken: the next connect never completes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    first = socket.create_connection(listener.getsockname())
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    first.close()
    listener.close()


@pytest.fixture(scope="module")
def _tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, Path]]:
    # One per module, like _other_server.
    server, cert_path = https_server(tmp_path_factory.mktemp("tls"), "cibridge test CA")
    yield server, cert_path
    server.clear()
    server.stop()


@pytest.fixture
def tls_server(_tls_server: tuple[HTTPServer, Path]) -> Iterator[tuple[HTTPServer, Path]]:
    """An https server on 127.0.0.1 answering ``/tls`` with "secure", and the CA file that
    trusts it."""
    server, cert_path = _tls_server
    server.expect_request("/tls").respond_with_data("secure")
    yield server, cert_path
    server.clear()
