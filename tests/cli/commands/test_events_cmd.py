"""Events from the commands, end to end in-process: notify and gate publishing to an HTTP
sink and to a real nats-server, their own result unchanged when nothing takes the
events, the spool holding each undelivered event once and `events flush` sending each
once; `events send` for any other CDEvent."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from cibridge.events import schemas
from tests.e2e.harness import free_port, nats_server
from tests.events.test_nats import stored

NOTIFY = ("notify", "--to", "webhook", "--status", "success", "--event", "deploy")


def notify_env(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    httpserver.expect_request("/hook").respond_with_data("ok", 200)
    return {
        "CIBRIDGE_WEBHOOK_URL": httpserver.url_for("/hook"),
        "CIBRIDGE_EVENTS_SPOOL": str(tmp_path / "spool"),
        "CIBRIDGE_ENVIRONMENT": "production",
        "CIBRIDGE_VERSION": "1.5.0",
        **extra,
    }


def sent(httpserver: HTTPServer) -> list[dict[str, object]]:
    return [json.loads(r.data) for r, _ in httpserver.log if r.path == "/sink"]


def test_notify_publishes_its_result_and_the_deployment(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/sink").respond_with_data("", 202)
    env = notify_env(httpserver, tmp_path, CIBRIDGE_EVENTS_URL=httpserver.url_for("/sink"))
    result = cli(*NOTIFY, "--events-to", "http", env=env)
    assert result.code == 0, result.all
    events = sent(httpserver)
    assert [e["context"]["type"] for e in events] == [  # type: ignore[index]
        "dev.cdevents.taskrun.finished.0.3.0",
        "dev.cdevents.service.deployed.0.3.0",
    ]
    for document in events:
        kind = str(document["context"]["type"]).split(".")[2:4]  # type: ignore[index]
        assert schemas.problems(document, ".".join(kind)) == []
    assert len({e["context"]["chainId"] for e in events}) == 1  # type: ignore[index]
    assert "events: 2 event(s) delivered to http" in result.out
    assert "ok=true" in result.out  # notify's own outputs are as without events


def test_a_sink_that_is_down_changes_nothing_and_flush_delivers_once(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    down = f"http://127.0.0.1:{free_port()}/sink"
    env = notify_env(httpserver, tmp_path, CIBRIDGE_EVENTS_URL=down, CIBRIDGE_EVENTS_TO="http")
    (tmp_path / ".cibridge.yml").write_text("events:\n  to: [http]\n  timeout: 1s\n")
    result = cli(*NOTIFY, env=env)
    assert result.code == 0, result.all
    assert "2 of 2 event(s) not delivered to http" in result.err
    assert len(list((tmp_path / "spool" / "http").glob("*.json"))) == 2
    httpserver.expect_request("/sink").respond_with_data("", 200)
    up = {"CIBRIDGE_EVENTS_URL": httpserver.url_for("/sink")}
    flushed = cli("events", "flush", env=up)
    assert flushed.code == 0, flushed.all
    assert "delivered=2" in flushed.out and "left=0" in flushed.out
    assert list((tmp_path / "spool" / "http").glob("*.json")) == []
    again = cli("events", "flush", env=up)
    assert "delivered=0" in again.out and len(sent(httpserver)) == 2


def test_fail_on_error_fails_a_step_that_otherwise_passed(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/sink").respond_with_data("too large", 413)
    env = notify_env(httpserver, tmp_path, CIBRIDGE_EVENTS_URL=httpserver.url_for("/sink"))
    (tmp_path / ".cibridge.yml").write_text("events:\n  to: [http]\n  fail_on_error: true\n")
    result = cli(*NOTIFY, env=env)
    assert result.code == 1
    assert "events.fail_on_error is true" in result.err


def test_a_dry_run_shows_the_events_and_sends_none(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = notify_env(httpserver, tmp_path, CIBRIDGE_EVENTS_URL=httpserver.url_for("/sink"))
    result = cli(*NOTIFY, "--events-to", "http", "--dry-run", env=env)
    assert result.code == 0, result.all
    assert result.out.count("events: would send") == 2
    assert "ce-type: dev.cdevents.service.deployed.0.3.0" in result.out
    assert httpserver.log == []


def test_an_unknown_transport_is_named(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = notify_env(httpserver, tmp_path)
    result = cli(*NOTIFY, "--events-to", "sqs", env=env)
    assert result.code == 0  # notify's result stands
    assert "events: nothing published: events.to (--events-to) names 'sqs'" in result.err


def test_the_gate_fails_as_an_incident_on_nats_and_notify_shares_its_chain(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/health").respond_with_data("down", 503)
    (tmp_path / ".cibridge.yml").write_text(
        "events:\n  to: [nats]\n"
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        f"      - url: {httpserver.url_for('/health')}\n        expected_status: 200\n"
    )
    with nats_server(tmp_path) as server:
        env = notify_env(
            httpserver, tmp_path, NATS_URL=server.url, CIBRIDGE_EVENTS_CHAIN="release-1.5.0"
        )
        gate = cli("gate", "--set", "service_name=checkout", env=env)
        assert gate.code == 1, gate.all
        notified = cli(*NOTIFY, env=env)
        assert notified.code == 0, notified.all
        messages = stored(server.url, "CDEVENTS")
    assert [m[0] for m in messages] == [
        "cdevents.incident.detected",
        "cdevents.taskrun.finished",
        "cdevents.service.deployed",
    ]
    assert {m[2]["context"]["chainId"] for m in messages} == {"release-1.5.0"}
    assert messages[0][2]["subject"]["content"]["service"] == {"id": "checkout"}


def test_nats_down_then_flushed_once(cli, httpserver: HTTPServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text("events:\n  to: [nats]\n  timeout: 2s\n")
    with nats_server(tmp_path) as server:
        url = server.url
    env = notify_env(httpserver, tmp_path, NATS_URL=url)
    result = cli(*NOTIFY, env=env)  # the server is gone
    assert result.code == 0 and "2 of 2 event(s) not delivered to nats" in result.err
    with nats_server(tmp_path) as server:
        env["NATS_URL"] = server.url
        first = cli("events", "flush", env=env)
        second = cli("events", "flush", env=env)
        messages = stored(server.url, "CDEVENTS")
    assert "delivered=2" in first.out and "delivered=0" in second.out
    assert len(messages) == 2


def test_events_send_publishes_any_cdevent_it_can_validate(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/sink").respond_with_data("", 200)
    env = {"CIBRIDGE_EVENTS_URL": httpserver.url_for("/sink"), "CIBRIDGE_EVENTS_TO": "http"}
    result = cli(
        "events", "send", "--type", "artifact.published", "--subject", "pkg:oci/checkout@sha256:ab",
        "--set", "sbom.uri=https://acme.example/sbom.json", "--set", "user=mona", env=env,
    )  # fmt: skip
    assert result.code == 0, result.all
    [document] = sent(httpserver)
    assert document["subject"] == {  # type: ignore[index]
        "id": "pkg:oci/checkout@sha256:ab",
        "content": {"sbom": {"uri": "https://acme.example/sbom.json"}, "user": "mona"},
    }
    refused = cli(
        "events", "send", "--type", "service.deployed", "--set", "environment=prod", env=env
    )
    assert refused.code == 2
    assert "subject/content/environment: 'prod' is not of type 'object'" in refused.err
    unknown = cli("events", "send", "--type", "service.exploded", env=env)
    assert unknown.code == 2 and "is not a CDEvents 0.5.1 type" in unknown.err


def test_a_command_without_events_configured_never_imports_them(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from cibridge.cli.main import main;"
        "main(['notify', '--to', 'webhook', '--status', 'success', '--dry-run']);"
        "print([m for m in sys.modules if m.startswith('cibridge.events')])"
    )
    env = {"PATH": "/usr/bin:/bin", "CIBRIDGE_WEBHOOK_URL": "http://127.0.0.1:9/hook"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_one_transport_down_never_stops_another(
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text("events:\n  to: [http, nats]\n  timeout: 1s\n")
    with nats_server(tmp_path) as server:
        env = notify_env(
            httpserver, tmp_path,
            CIBRIDGE_EVENTS_URL=f"http://127.0.0.1:{free_port()}/sink", NATS_URL=server.url,
        )  # fmt: skip
        result = cli(*NOTIFY, env=env)
        messages = stored(server.url, "CDEVENTS")
    assert result.code == 0, result.all
    assert len(messages) == 2 and "events: 2 event(s) delivered to nats" in result.out
    assert "2 of 2 event(s) not delivered to http" in result.err
    assert len(list((tmp_path / "spool" / "http").glob("*.json"))) == 2
    assert not (tmp_path / "spool" / "nats").exists()
