"""The shared loopback server: routing, recording, raw overrides and a prompt stop."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from cibridge.demo.standins import SERVICES, Answer, Behaviour, Request, Service, StandIns
from tests.demo.standins.client import send

HANG_GUARD = 10.0  # seconds; a stop that takes this long is a hang, not a slow stop


class Echo:
    """A service as a new stand-in (Jira, a CI API) would be written: one small class."""

    def __init__(self, name: str, prefix: str) -> None:
        self.name = name
        self.prefix = prefix

    def handle(self, request: Request) -> Answer:
        return Answer(
            201,
            {
                "service": self.name,
                "method": request.method,
                "path": request.path,
                "query": request.query,
            },
            {"X-Echo": "1"},
        )

    def env(self, base_url: str) -> dict[str, str]:
        return {f"{self.name.upper()}_URL": base_url + self.prefix}


def _port(servers: StandIns) -> int:
    return int(servers.base.rsplit(":", 1)[1])


def _echo(name: str, prefix: str) -> Callable[[Behaviour], Service]:
    return lambda behaviour: Echo(name, prefix)


@pytest.fixture
def echoes() -> StandIns:
    return StandIns(services=(_echo("api", "/api"), _echo("graphql", "/api/graphql")))


def test_routes_by_longest_prefix_and_passes_every_method(echoes: StandIns) -> None:
    with echoes:
        nested = send(echoes.base, "/api/graphql/q?x=1&x=2", method="PUT", body=b"{}")
        plain = send(echoes.base, "/api/graphqlish", method="GET")
        bare = send(echoes.base, "/api", method="DELETE")
    assert nested.status == 201 and nested.headers["X-Echo"] == "1"
    assert nested.headers["Content-Type"] == "application/json"
    assert nested.json == {
        "service": "graphql",
        "method": "PUT",
        "path": "/api/graphql/q",
        "query": {"x": "1"},
    }
    # A prefix matches whole path segments only.
    assert plain.json["service"] == "api" and plain.json["method"] == "GET"
    assert bare.json["service"] == "api"


def test_env_comes_from_every_registered_service(echoes: StandIns) -> None:
    with echoes:
        assert echoes.env() == {
            "API_URL": echoes.base + "/api",
            "GRAPHQL_URL": echoes.base + "/api/graphql",
        }


def test_the_registry_mounts_each_service_once() -> None:
    services = StandIns().services
    assert [s.name for s in services] == [
        "slack",
        "dingtalk",
        "feishu",
        "wecom",
        "teams",
        "webhook",
        "mattermost",
        "discord",
        "telegram",
        "google_chat",
        "jira",
        "azure_boards",
        "github",
        "gitlab",
        "mimir",
        "datadog",
        "cdevents",
    ]
    assert len(SERVICES) == len({s.prefix for s in services})
    with pytest.raises(ValueError, match="share a path prefix"):
        StandIns(services=(_echo("a", "/same"), _echo("b", "/same")))


def test_unknown_path_is_404_and_recorded(stand_ins: StandIns) -> None:
    reply = send(stand_ins.base, "/nobody/rest/api/3/issue/PROJ-1", method="GET")
    assert (reply.status, reply.body) == (404, b"not found")
    [received] = stand_ins.of("nobody")
    assert (received.status, received.answer) == (404, b"not found")


def test_every_request_is_recorded_before_the_answer(stand_ins: StandIns) -> None:
    target = "/webhook/receive?x=1"
    reply = send(stand_ins.base, target, {"a": 1}, headers={"X-Test": "yes"})
    [received] = stand_ins.received
    assert received.service == "webhook"
    assert received.path == target  # with the query, as sent
    assert received.headers["X-Test"] == "yes"
    assert received.raw == b'{"a": 1}' and received.json == {"a": 1}
    assert (
        (received.status, received.answer)
        == (reply.status, reply.body)
        == (
            401,
            b'{"error": "bad signature"}',
        )
    )


def test_throttle_applies_to_any_service_before_it_is_asked(stand_ins: StandIns) -> None:
    stand_ins.behaviour.throttle_next = 1
    stand_ins.behaviour.retry_after = "7"
    throttled = send(stand_ins.base, "/teams/workflows/run", b"{}")
    after = send(stand_ins.base, "/teams/workflows/run", b"{}")
    assert (throttled.status, throttled.headers["Retry-After"], throttled.body) == (
        429,
        "7",
        b"rate_limited",
    )
    assert after.status == 401
    assert [r.service for r in stand_ins.received] == ["teams", "teams"]


def _truncated(request: Request, handler: BaseHTTPRequestHandler) -> None:
    # Promises ten bytes, sends three, and closes: what a dying proxy does.
    handler.send_response(200)
    handler.send_header("Content-Length", "10")
    handler.end_headers()
    handler.wfile.write(b"abc")


def test_override_answers_raw_then_the_service_again(stand_ins: StandIns) -> None:
    stand_ins.override("/webhook/receive", _truncated, times=1)
    port = _port(stand_ins)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/webhook/receive?q=1", body=b"{}")
    with pytest.raises(http.client.IncompleteRead):
        connection.getresponse().read()
    connection.close()
    assert send(stand_ins.base, "/webhook/receive", b"{}").status == 401
    first, second = stand_ins.of("webhook")
    # The raw reply is not parsed back; the request still is recorded.
    assert (first.path, first.raw, first.status, first.answer) == (
        "/webhook/receive?q=1",
        b"{}",
        0,
        b"",
    )
    assert second.status == 401


def test_override_of_an_unmounted_path(stand_ins: StandIns) -> None:
    def moved(request: Request, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "http://elsewhere.invalid/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    stand_ins.override("/moved", moved)
    for _ in range(2):  # stays until stopped when no count is given
        reply = send(stand_ins.base, "/moved", method="GET")
        assert (reply.status, reply.headers["Location"]) == (302, "http://elsewhere.invalid/")
    assert [r.service for r in stand_ins.received] == ["moved", "moved"]


def _stop_in_thread(servers: StandIns) -> threading.Thread:
    stopper = threading.Thread(target=servers.__exit__, args=(None, None, None), daemon=True)
    stopper.start()
    stopper.join(HANG_GUARD)
    return stopper


def test_stop_returns_with_clients_holding_connections_open() -> None:
    servers = StandIns().__enter__()
    port = _port(servers)
    silent = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"POST /slack/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    # Connections are accepted in order, so once a later one is answered both are in
    # their handlers (or about to be, which stop() also covers), blocked reading.
    assert send(servers.base, "/nothing", method="GET").status == 404
    try:
        assert not _stop_in_thread(servers).is_alive(), "stop() hung on open connections"
        # The server cut them instead of leaving their handler threads blocked.
        for client in (silent, half):
            client.settimeout(HANG_GUARD)
            assert client.recv(1) == b""
    finally:
        silent.close()
        half.close()


def test_stop_returns_while_a_request_is_in_flight() -> None:
    servers = StandIns().__enter__()
    entered, release = threading.Event(), threading.Event()

    def stuck(request: Request, handler: BaseHTTPRequestHandler) -> None:
        entered.set()
        release.wait(HANG_GUARD)

    servers.override("/webhook/receive", stuck)
    port = _port(servers)
    client = socket.create_connection(("127.0.0.1", port))
    try:
        client.sendall(b"POST /webhook/receive HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
        assert entered.wait(HANG_GUARD)
        assert not _stop_in_thread(servers).is_alive(), "stop() waited for a handler"
        assert servers.stopped.is_set()
    finally:
        release.set()
        client.close()


def test_stop_before_start_and_twice() -> None:
    servers = StandIns()
    servers.__exit__(None, None, None)
    servers.__exit__(None, None, None)
    with StandIns() as started:
        pass
    assert not _stop_in_thread(started).is_alive()


# Every chat service the registry mounts, whichever they are.
NOT_CHAT = ("jira", "azure_boards", "github", "gitlab", "mimir", "datadog")
CHAT = [make(Behaviour()).name for make in SERVICES if make(Behaviour()).name not in NOT_CHAT]


@pytest.mark.parametrize("service", [c for c in CHAT if c != "telegram"])  # its API takes GET
def test_chat_webhooks_accept_only_post(stand_ins: StandIns, service: str) -> None:
    url = {s.name: s for s in stand_ins.services}[service].prefix + "/anything"
    reply = send(stand_ins.base, url, method="GET")
    # Discord's also takes PATCH (an edit of a message the webhook posted)
    assert reply.status == 405 and "POST" in reply.headers["Allow"].split(", ")
