"""The monitoring peers later capabilities (gate) test against start and answer here."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from cibridge.http.transport import HttpSettings, Transport
from tests.e2e.harness import alertmanager, prometheus, pushgateway

http = Transport(HttpSettings())


def test_prometheus_answers_queries(tmp_path: Path) -> None:
    with prometheus(tmp_path) as base:
        response = http.request("GET", f"{base}/api/v1/query?query=vector(1)", what="Prometheus")
        body = response.json()
        assert body["status"] == "success"
        assert body["data"]["result"][0]["value"][1] == "1"
        bad = http.request("GET", f"{base}/api/v1/query?query=sum(", what="Prometheus")
        assert bad.status == 400 and bad.json()["errorType"] == "bad_data"


def test_alertmanager_silences(tmp_path: Path) -> None:
    with alertmanager(tmp_path) as base:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
        silence = {
            "matchers": [{"name": "job", "value": "api", "isRegex": False, "isEqual": True}],
            "startsAt": now,
            "endsAt": later,
            "createdBy": "cibridge-e2e",
            "comment": "deploy",
        }
        created = http.request("POST", f"{base}/api/v2/silences", json=silence, what="Alertmanager")
        assert created.status == 200 and created.json()["silenceID"]


def test_pushgateway_accepts_a_deploy_gauge(tmp_path: Path) -> None:
    with pushgateway(tmp_path) as base:
        body = b"# TYPE deploy_timestamp_seconds gauge\ndeploy_timestamp_seconds 1700000000\n"
        pushed = http.request(
            "PUT",
            f"{base}/metrics/job/cibridge/service/api",
            data=body,
            headers={"Content-Type": "text/plain"},
            what="Pushgateway",
        )
        assert pushed.status == 200
        with urllib.request.urlopen(f"{base}/api/v1/metrics", timeout=5) as response:
            assert "deploy_timestamp_seconds" in json.dumps(json.load(response))
