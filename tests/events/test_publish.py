"""Publishing to an HTTP sink (pytest-httpserver on loopback): the CloudEvents HTTP binding
in binary and structured mode, a signed body, retries within the budget, a 413 kept and
not retried, and the spool: each undelivered event once, sent once by a flush."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.config.loader import Config
from cibridge.core.signing import verify
from cibridge.events import publish, schemas, spool
from cibridge.events.model import Event, stable_id
from cibridge.events.settings import EventSettings
from cibridge.events.transports.http import HttpSink


def event(n: int) -> Event:
    return Event(
        type="ticket.updated",
        id=stable_id("t", str(n)),
        source="https://github.com/acme/checkout/actions/runs/7",
        subject_id=f"PROJ-{n}",
        content={"uri": f"https://acme.atlassian.net/browse/PROJ-{n}"},
        chain=stable_id("chain"),
        timestamp="2026-12-04T10:00:00.000Z",
    )


def config(url: str, **http: object) -> Config:
    return Config({"integration_configs": {"messaging": {"http": {"url": url, **http}}}})


def test_binary_mode_puts_the_context_in_headers_and_the_cdevent_in_the_body(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_oneshot_request("/sink", method="POST").respond_with_data("", 202)
    sink = HttpSink.from_config(config(httpserver.url_for("/sink")), {})
    assert sink.send([event(1)], 5) == [None]
    [(request, _)] = httpserver.log
    assert request.headers["ce-specversion"] == "1.0"
    assert request.headers["ce-type"] == "dev.cdevents.ticket.updated.0.2.0"
    assert request.headers["ce-id"] == event(1).id and request.headers["ce-subject"] == "PROJ-1"
    assert request.headers["ce-time"] == "2026-12-04T10:00:00.000Z"
    assert request.headers["Content-Type"].startswith("application/json")
    body = json.loads(request.data)
    assert body == event(1).as_cdevent() and schemas.problems(body, "ticket.updated") == []


def test_structured_mode_and_a_signed_body(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/sink", method="POST").respond_with_data("", 200)
    settings = config(httpserver.url_for("/sink"), mode="structured", secret="sign-key-123")
    assert HttpSink.from_config(settings, {}).send([event(1)], 5) == [None]
    [(request, _)] = httpserver.log
    assert request.headers["Content-Type"].startswith("application/cloudevents+json")
    assert not any(name.lower().startswith("ce-") for name, _value in request.headers.items())
    envelope = json.loads(request.data)
    assert envelope["specversion"] == "1.0" and envelope["datacontenttype"] == "application/json"
    assert envelope["data"] == event(1).as_cdevent()
    assert verify(request.data, "sign-key-123", request.headers["X-Cibridge-Signature-256"])


def test_a_bad_mode_is_a_configuration_error() -> None:
    from cibridge.core.errors import CibridgeError

    with pytest.raises(CibridgeError, match=r"binary \(the default\) or structured"):
        HttpSink.from_config(config("http://127.0.0.1:9/x", mode="batch"), {})


def settings_for(tmp_path: Path, budget: float = 5.0) -> EventSettings:
    return EventSettings(("http",), tmp_path / "spool", False, budget)


class Quiet:
    """The platform's warning and print, recorded."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, text: str) -> None:
        self.lines.append(f"warning: {text}")

    def print(self, text: str) -> None:
        self.lines.append(text)


def test_a_503_is_retried_and_then_delivered(httpserver: HTTPServer, tmp_path: Path) -> None:
    answers = iter([503, 503, 200])
    httpserver.expect_request("/sink").respond_with_handler(lambda _r: Response("", next(answers)))
    platform = Quiet()
    done = publish.publish(
        [event(1)],
        settings_for(tmp_path),
        config(httpserver.url_for("/sink")),
        {},
        platform,  # type: ignore[arg-type]
    )
    assert done and len(httpserver.log) == 3
    assert platform.lines == ["events: 1 event(s) delivered to http"]
    assert spool.transports(tmp_path / "spool") == [] or not list(
        (tmp_path / "spool" / "http").iterdir()
    )


def test_a_413_is_kept_once_and_not_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/sink").respond_with_data("Payload Too Large", 413)
    platform = Quiet()
    for _ in range(2):  # the same result published twice: still one file per event
        done = publish.publish(
            [event(1), event(2)],
            settings_for(tmp_path),
            config(httpserver.url_for("/sink")),
            {},
            platform,  # type: ignore[arg-type]
        )
        assert not done
    assert len(httpserver.log) == 4  # each event once per publish: a 413 is not retried
    files = sorted(p.name for p in (tmp_path / "spool" / "http").iterdir())
    assert files == sorted(f"{event(n).id}.json" for n in (1, 2))
    assert "2 of 2 event(s) not delivered to http: HTTP 413: Payload Too Large" in platform.lines[0]
    assert "`cibridge events flush` sends them" in platform.lines[0]


def test_an_unreachable_sink_gives_up_within_the_budget(tmp_path: Path) -> None:
    from tests.e2e.harness import free_port

    started = time.monotonic()
    platform = Quiet()
    url = f"http://127.0.0.1:{free_port()}/sink"
    done = publish.publish([event(1)], settings_for(tmp_path, 1.5), config(url), {}, platform)  # type: ignore[arg-type]
    assert not done and time.monotonic() - started < 6
    assert "unreachable" in platform.lines[0] or "refused" in platform.lines[0]


def test_flush_sends_each_spooled_event_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    spool.keep(tmp_path / "spool", "http", [event(1), event(2)])
    httpserver.expect_request("/sink").respond_with_data("", 200)
    kept = list(spool.kept(tmp_path / "spool", "http"))
    result = publish.deliver(
        "http", [e for _, e in kept], config(httpserver.url_for("/sink")), {}, 5
    )  # type: ignore[misc]
    assert {e.id for e in result.delivered} == {event(1).id, event(2).id}


def test_the_spool_refuses_a_folder_others_can_write(tmp_path: Path) -> None:
    from cibridge.core.errors import CibridgeError

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # noqa: S103 - the shared folder under test
    with pytest.raises(CibridgeError, match="cannot be used"):
        spool.keep(shared, "http", [event(1)])
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(CibridgeError, match="cannot be used"):
        spool.keep(tmp_path / "link", "http", [event(1)])


def test_a_spooled_file_that_is_no_event_is_left_and_named(tmp_path: Path) -> None:
    where = spool.folder(tmp_path / "spool", "http")
    (where / "junk.json").write_text('{"context": {"type": "x"}}')
    (where / "big.json").write_bytes(b" " * (spool.MAX_FILE + 1))
    found = dict(spool.kept(tmp_path / "spool", "http"))
    assert found[where / "junk.json"].startswith("not a CDEvent")  # type: ignore[union-attr]
    assert found[where / "big.json"] == "larger than 1 MB"


def test_an_event_id_cannot_name_a_file_outside_the_spool(tmp_path: Path) -> None:
    hostile = Event(
        type="ticket.updated",
        id="../../etc/passwd",
        source="/s",
        subject_id="x",
        content={"uri": "https://x"},
    )
    where = spool.keep(tmp_path / "spool", "http", [hostile])
    [written] = list(where.iterdir())
    assert written.parent == where and "/" not in written.name


def test_request_handler_sees_one_request_per_event(httpserver: HTTPServer) -> None:
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers["ce-id"])
        return Response("", 204)

    httpserver.expect_request("/sink").respond_with_handler(handler)
    sink = HttpSink.from_config(config(httpserver.url_for("/sink")), {})
    assert sink.send([event(n) for n in range(5)], 5) == [None] * 5
    assert seen == [event(n).id for n in range(5)]


def test_a_redirect_is_refused_for_good_and_its_signature_stays_home(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """A sink answering 307 to another host: a POST is not followed (the signed body and
    its headers never reach that host), and the event is spooled at once."""
    from pytest_httpserver import HTTPServer as Other

    with Other(host="127.0.0.1", port=0) as elsewhere:
        elsewhere.expect_request("/steal").respond_with_data("", 200)
        httpserver.expect_request("/sink").respond_with_data(
            "", 307, headers={"Location": elsewhere.url_for("/steal")}
        )
        platform = Quiet()
        settings = config(httpserver.url_for("/sink"), secret="sign-key-123")
        done = publish.publish([event(1)], settings_for(tmp_path), settings, {}, platform)  # type: ignore[arg-type]
        assert not done and elsewhere.log == []
    assert len(httpserver.log) == 1  # not retried: a redirect stays wrong
    assert "HTTP 307" in platform.lines[0]
    assert len(list((tmp_path / "spool" / "http").glob("*.json"))) == 1
