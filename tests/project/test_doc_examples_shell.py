"""The manual's shell sessions, run in bash against the stand-ins as a reader would paste
them into a terminal in a git checkout, with cibridge installed.

Only what a reader changes is changed: the install line is what this venv already did, an
``export X=...`` or ``X=...`` placeholder is the reader's own value (here the stand-ins'
addresses, a fresh key, a webhook body and its signature). Each block must end with exit
status 0, and each block's comments that show an output are checked against what it
printed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.demo.standins import StandIns
from tests.conftest import git
from tests.doc_examples import GATE_CONFIG, Example, in_service
from tests.doc_examples import example as _example

HOOK_SECRET = "doc-example-hook-secret"
BODY = b'{"webhookEvent": "jira:issue_updated"}\n'


def _as_pasted(example: Example) -> str:
    lines = []
    for line in example.text.splitlines():
        if line.startswith("pip install"):
            continue  # installed already: this venv is the reader's
        if re.match(r"export [A-Z_]+=\.\.\.", line):
            continue  # "your value": the environment below holds it
        lines.append(re.sub(r"\b[A-Z_]+=\.\.\. ", "", line))
    return "\n".join(lines) + "\n"


def _bash(tmp_path: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    git(checkout, "commit", "-q", "--allow-empty", "-m", "PROJ-1: empty carts no longer crash")
    (checkout / "body.json").write_bytes(BODY)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=checkout,
        env={"PATH": path, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("page", "marker", "shown"),
    [
        # The demo against its stand-ins, then a dry run whose webhook's secret part is masked.
        ("README.md", "cibridge demo\n", ["Slack: delivered", "dry run", "/services/T000/B000/"]),
        # --version says what its comment says, then the demo.
        ("docs/install.md", "cibridge --version", ["cibridge 1.0.0", "Slack: delivered"]),
    ],
)
def test_the_first_steps_run_the_demo_and_a_dry_run(
    tmp_path: Path, page: str, marker: str, shown: list[str]
) -> None:
    done = _bash(tmp_path, _as_pasted(_example(page, marker)), {})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for text in shown:
        assert text in output, text
    assert "XXXX" not in output


def test_the_local_usage_session_sends_previews_and_renders(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    example = _example("docs/install.md", "export SLACK_WEBHOOK_URL")
    done = _bash(tmp_path, _as_pasted(example), stand_ins.env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(stand_ins.of("slack")) == 1  # the one real send; the dry run sends nothing
    assert stand_ins.of("slack")[0].json["text"].startswith("❌")
    assert "dry run" in done.stdout.lower() and "DingTalk" in done.stdout
    assert '"type": "AdaptiveCard"' in done.stdout  # the render of the Teams template


def test_the_encryption_session_makes_a_value_the_key_decrypts(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    env = {"CIBRIDGE_KEY": key, "WEBHOOK": "https://hooks.example.com/T/B/secret-part"}
    done = _bash(tmp_path, _as_pasted(_example("docs/security.md", "secret keygen")), env)
    assert done.returncode == 0, done.stderr
    generated, encrypted = done.stdout.split()
    Fernet(generated.encode())  # keygen printed a usable key
    assert encrypted.startswith("enc:gAAAA")  # as its comment says
    assert Fernet(key.encode()).decrypt(encrypted[4:].encode()).decode() == env["WEBHOOK"]


def test_the_signature_session_signs_and_verifies(tmp_path: Path) -> None:
    header = "sha256=" + hmac.new(HOOK_SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    env = {"HOOK_SECRET": HOOK_SECRET, "HEADER": header}
    done = _bash(tmp_path, _as_pasted(_example("docs/security.md", "cibridge sign")), env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == header and lines[-1] == "trusted", done.stdout


def test_the_gate_command_line_judges_the_service_and_writes_both_reports(tmp_path: Path) -> None:
    """docs/gate.md's command line, with the reader's checks and service (as in the e2e
    gate examples) and a real Prometheus."""
    import json
    from xml.etree import ElementTree as ET

    from cibridge.demo.gate import DemoService
    from tests.e2e.harness import prometheus

    example = _example("docs/gate.md", "--report gate.json --junit gate.xml")
    with DemoService() as service, prometheus(tmp_path) as base:
        script = in_service(_as_pasted(example), service.port)
        config = tmp_path / "gate.yml"
        config.write_text(GATE_CONFIG)
        env = {"PROMETHEUS_URL": base, "CIBRIDGE_CONFIG": str(config)}
        done = _bash(tmp_path, script, env)
    assert done.returncode == 0, done.stdout + done.stderr
    checkout = tmp_path / "checkout"
    report = json.loads((checkout / "gate.json").read_text())
    assert (report["result"], report["action"]) == ("pass", "none"), report
    suite = ET.parse(checkout / "gate.xml").getroot()  # noqa: S314 - our own output
    assert len(list(suite.iter("testcase"))) == 3


def test_the_ruler_session_adds_the_group_once(tmp_path: Path) -> None:
    """docs/gate.md's ruler session against the Mimir stand-in: the dry run writes nothing,
    the first --apply adds the group, the rerun leaves it unchanged and posts nothing."""
    from tests.demo.standins.mimir import ruler_of, serving

    config = tmp_path / "gate.yml"
    config.write_text(GATE_CONFIG.split("  health_check_validation:")[0])  # service_name only
    with serving() as mimir:
        env = {**mimir.env(), "CIBRIDGE_CONFIG": str(config)}
        done = _bash(tmp_path, _as_pasted(_example("docs/gate.md", "RULER_TENANT=")), env)
        posted = [r for r in mimir.received if r.raw]
        held = ruler_of(mimir).groups
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("- ")]
    assert lines == [
        "- cibridge-gate-checkout: added (1 rule(s))",  # the dry run's
        "- cibridge-gate-checkout: added (1 rule(s))",
        "- cibridge-gate-checkout: unchanged (1 rule(s))",
    ], done.stdout
    assert len(posted) == 1
    assert list(held[(mimir.env()["RULER_TENANT"], "cibridge")]) == ["cibridge-gate-checkout"]


def test_the_datadog_monitor_session_adds_each_monitor_once(tmp_path: Path) -> None:
    """docs/gate.md's monitor session against the Datadog stand-in, with the page's own
    Datadog check: the dry run creates nothing, --apply adds the monitor, the rerun posts
    nothing."""
    from cibridge.demo.standins import StandIns
    from cibridge.demo.standins.datadog import Datadog, datadog_of

    config = tmp_path / "gate.yml"
    config.write_text(_example("docs/gate.md", "app_key_ref: datadog-app-key").text)
    with StandIns((Datadog,)) as datadog:
        # The keys as the page's refs name them; DD_* left out, so the refs are what works.
        given = datadog.env()
        env = {
            "DATADOG_API_URL": given["DATADOG_API_URL"],
            "DATADOG_API_KEY": given["DD_API_KEY"],
            "DATADOG_APP_KEY": given["DD_APP_KEY"],
            "CIBRIDGE_CONFIG": str(config),
        }
        text = _as_pasted(_example("docs/gate.md", "--format datadog --set service_name"))
        done = _bash(tmp_path, text, env)
        writes = [r for r in datadog.received if r.method != "GET"]
        held = datadog_of(datadog).monitors
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("- ")]
    assert lines == [
        "- error_rate (max): added",  # the dry run's
        "- error_rate (max): added",
        "- error_rate (max): unchanged",
    ], done.stdout
    assert len(writes) == 1 and len(held) == 1


def test_the_silence_lines_hold_a_silence_while_the_gate_runs(tmp_path: Path) -> None:
    """docs/gate.md's two --silence lines against a real Alertmanager: each creates the
    silence its comment names and expires it when the gate ends."""
    import json
    import urllib.request

    from tests.e2e.harness import alertmanager, prometheus

    config = tmp_path / "gate.yml"
    config.write_text(GATE_CONFIG.split("  health_check_validation:")[0])  # service_name only
    example = _example("docs/gate.md", "--silence-matcher team=payments")
    with prometheus(tmp_path) as base, alertmanager(tmp_path) as silences_at:
        env = {"PROMETHEUS_URL": base, "ALERTMANAGER_URL": silences_at}
        done = _bash(tmp_path, _as_pasted(example), {**env, "CIBRIDGE_CONFIG": str(config)})
        with urllib.request.urlopen(f"{silences_at}/api/v2/silences", timeout=5) as answer:
            silences = json.load(answer)
    assert done.returncode == 0, done.stdout + done.stderr
    matchers = sorted(
        sorted((m["name"], m["value"]) for m in silence["matchers"]) for silence in silences
    )
    assert matchers == [[("service", "checkout")], [("team", "payments")]], silences
    assert {silence["status"]["state"] for silence in silences} == {"expired"}


def test_the_boards_session_starts_the_deployment_once(tmp_path: Path, stand_ins: StandIns) -> None:
    """docs/trigger.md's Azure Boards session, with the page's own rules as the reader's
    .cibridge.yml and Microsoft's recorded workitem.updated delivery for an item of the
    page's area path moved into the page's state, checked with the Service Hook's basic
    authentication; pasted twice, as a retried delivery: one run."""
    import base64
    import json

    from cibridge.demo.standins import GITHUB_API_TOKEN, GitHubApi
    from cibridge.demo.standins.github_api import Workflow
    from tests.conftest import FIXTURES

    github = next(s for s in stand_ins.services if isinstance(s, GitHubApi))
    github.repositories["acme/checkout"].workflows["deploy.yml"] = Workflow(
        {"work_item_id": True, "change_id": True}, run_name="Deploy ${{ inputs.change_id }}"
    )
    delivery = json.loads(
        (FIXTURES / "azure-devops/service-hooks/workitem.updated.json").read_text()
    )
    delivery["resource"]["fields"]["System.State"]["newValue"] = "Ready for Deployment"
    delivery["resource"]["revision"]["fields"]["System.WorkItemType"] = "User Story"
    delivery["resource"]["revision"]["fields"]["System.AreaPath"] = "Fabrikam\\Checkout\\Payments"
    config = tmp_path / "boards.yml"
    config.write_text(_example("docs/trigger.md", "work_item_state_trigger:").text)
    credentials = "cibridge-hook:" + "s3cret-" * 3
    # The reader of this session has no Azure DevOps settings (the page's other case).
    given = {k: v for k, v in stand_ins.env().items() if not k.startswith("AZURE_DEVOPS_")}
    env = {
        **given,
        "CIBRIDGE_CONFIG": str(config),
        "CIBRIDGE_TRIGGER_KEY": "a1" * 32,
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "BOARDS_HOOK": credentials,
        "AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode(),
    }
    session = _as_pasted(_example("docs/trigger.md", "--authorization"))
    script = f"cat > workitem.json <<'EOF'\n{json.dumps(delivery)}\nEOF\n{session}{session}"
    done = _bash(tmp_path, script, env)
    assert done.returncode == 0, done.stdout + done.stderr
    [started] = github.dispatches
    assert started["workflow"] == "deploy.yml" and started["inputs"]["work_item_id"] == "5"
    assert "AB#5: work_item_state_trigger → checkout-deployment" in done.stdout
    assert f"shows a run carrying {started['inputs']['change_id']}" in done.stdout
    assert credentials.split(":")[1] not in done.stdout + done.stderr


def test_the_events_session_sends_one_event_and_flushes_nothing(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """docs/events.md's session against an HTTP sink: one artifact.published, schema-valid,
    and a flush with nothing spooled."""
    import json

    from cibridge.events import schemas

    httpserver.expect_request("/sink").respond_with_data("", 202)
    env = {
        "CIBRIDGE_EVENTS_URL": httpserver.url_for("/sink"),
        "CIBRIDGE_EVENTS_SPOOL": str(tmp_path / "spool"),
    }
    done = _bash(tmp_path, _as_pasted(_example("docs/events.md", "cibridge events send")), env)
    assert done.returncode == 0, done.stdout + done.stderr
    [(request, _)] = httpserver.log
    document = json.loads(request.data)
    assert request.headers["ce-type"] == "dev.cdevents.artifact.published.0.3.0"
    assert document["subject"]["id"] == "pkg:oci/checkout@sha256:3f2a"
    assert schemas.problems(document, "artifact.published") == []
    assert "delivered=0" in done.stdout
