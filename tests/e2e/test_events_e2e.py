"""The event stream from the actions under act and the components under gitlab-ci-local:
events configured once in the job's environment reach a real nats-server and an HTTP
sink, schema-valid and once; the zero-install action installs nats-py on demand."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from cibridge.demo.standins import StandIns
from cibridge.events import schemas
from tests.e2e.harness import COPY, free_port, nats_server, run_act, run_gitlab_ci_local
from tests.events.test_nats import stored


def _kind(document: dict[str, object]) -> str:
    return ".".join(str(document["context"]["type"]).split(".")[2:4])  # type: ignore[index]


def test_the_notify_action_publishes_to_nats_once_per_result(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    step = """        uses: ./notify
        with:
          to: webhook
          event: deploy
          status: success
"""
    with nats_server(tmp_path) as server:
        workflow = f"""on: push
env:
  CIBRIDGE_EVENTS_TO: nats
  NATS_URL: {server.url}
  CIBRIDGE_ENVIRONMENT: production
  CIBRIDGE_WEBHOOK_URL: {stand_ins.env()["CIBRIDGE_WEBHOOK_URL"]}
  CIBRIDGE_WEBHOOK_SECRET: {stand_ins.env()["CIBRIDGE_WEBHOOK_SECRET"]}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
{COPY}      - id: first
{step}      - id: again
{step}"""
        run = run_act(
            tmp_path,
            workflow,
            {"ref": "refs/heads/main"},
            # A cache of this test's own: the runner's would hold nats-py from an earlier run.
            env={"CIBRIDGE_CACHE_DIR": str(tmp_path / "runner-cache")},
        )
        messages = stored(server.url, "CDEVENTS")
    assert run.code == 0, run.output
    assert run.output.count("installing nats-py on demand") == 1, run.output
    assert run.output.count("events: 2 event(s) delivered to nats") == 2, run.output
    # The second step published the same result: the same ids, dropped by the stream.
    assert [m[0] for m in messages] == ["cdevents.taskrun.finished", "cdevents.service.deployed"]
    for _subject, headers, body in messages:
        assert schemas.problems(body, _kind(body)) == []
        assert headers["Nats-Msg-Id"] == body["context"]["id"]
    assert len({body["context"]["chainId"] for *_, body in messages}) == 1
    assert messages[0][2]["subject"]["content"]["pipelineRun"]["source"].startswith("http")


def test_the_notify_component_publishes_to_an_http_sink_or_keeps_the_events(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok", 200)
    httpserver.expect_request("/sink").respond_with_data("", 202)
    down = f"http://127.0.0.1:{free_port()}/sink"
    pipeline = """stages: [deploy]
include:
  - local: templates/notify.yml
    inputs:
      stage: deploy
      to: webhook
      event: deploy
cibridge-notify-success:
  artifacts:
    when: always
    paths: [.cibridge-events/]  # what could not be delivered, for a later flush
"""
    variables = {
        "CIBRIDGE_WEBHOOK_URL": httpserver.url_for("/hook"),
        "CIBRIDGE_EVENTS_TO": "http",
        "CIBRIDGE_EVENTS_URL": httpserver.url_for("/sink"),
        "CIBRIDGE_ENVIRONMENT": "production",
        "CIBRIDGE_EVENTS_SPOOL": ".cibridge-events",  # in the project: artifacts only take that
    }
    run = run_gitlab_ci_local(tmp_path / "up", pipeline, variables)
    assert "PASS  cibridge-notify-success" in run.output, run.output
    sent = [json.loads(r.data) for r, _ in httpserver.log if r.path == "/sink"]
    assert [_kind(d) for d in sent] == ["taskrun.finished", "service.deployed"]
    assert all(schemas.problems(d, _kind(d)) == [] for d in sent)
    # The sink down: the job still passes, and the events are kept for a flush.
    down = {**variables, "CIBRIDGE_EVENTS_URL": f"http://127.0.0.1:{free_port()}/sink"}
    run = run_gitlab_ci_local(tmp_path / "down", pipeline, down)
    assert "PASS  cibridge-notify-success" in run.output, run.output
    assert "2 of 2 event(s) not delivered to http" in run.output, run.output
    kept = list((run.workdir / ".cibridge-events" / "http").glob("*.json"))
    assert sorted(_kind(json.loads(k.read_text())) for k in kept) == [
        "service.deployed",
        "taskrun.finished",
    ]
