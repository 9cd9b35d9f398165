"""The gate action under act and the gate component under gitlab-ci-local, against a real
Prometheus: outputs, dotenv, JUnit and the exit status a pipeline acts on."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from tests.e2e.harness import COPY, prometheus, run_act, run_gitlab_ci_local

# Checks whose values do not depend on scrape timing: the placeholder goes through
# Prometheus's own parser and comes back as a label.
CONFIG = """post_deployment_validation:
  metrics_validation:
    - name: round_trip
      query: 'label_replace(vector({value}), "svc", "{{{{ service_name }}}}", "", "")'
      expected_value: 1
      failure_action: rollback
  health_check_validation:
    http_checks:
      - name: prometheus ready
        url: "{{{{ prometheus }}}}/-/ready"
        expected_status: 200
        body_regex: "Ready"
  rollback_policy:
    enabled: true
    max_failures: 1
    rollback_pipeline: "rollback-{{{{ service_name }}}}"
"""


def test_gate_action_passes_and_sets_its_outputs(tmp_path: Path) -> None:
    config = tmp_path / "gate-config.yml"
    config.write_text(CONFIG.format(value=1), encoding="utf-8")
    with prometheus(tmp_path) as base:
        workflow = f"""on: push
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
{COPY}      - id: gate
        uses: ./gate
        with:
          config: {config}
          set: |
            service_name=checkout
            prometheus={base}
          junit: gate.xml
          prometheus-url: {base}
      - name: Outputs
        env:
          RESULT: ${{{{ steps.gate.outputs.result }}}}
          ACTION: ${{{{ steps.gate.outputs.action }}}}
          REPORT: ${{{{ steps.gate.outputs.report }}}}
        run: echo "OUT result=$RESULT action=$ACTION report=$REPORT $(wc -c < "$REPORT")"
"""
        run = run_act(tmp_path, workflow, {"ref": "refs/heads/main"})
    assert run.code == 0, run.output
    (line,) = [line for line in run.output.splitlines() if "| OUT result=" in line]
    assert line.split("| OUT ")[1].startswith("result=pass action=none report=cibridge-gate.json ")
    assert int(line.rsplit(" ", 1)[1]) > 100  # the JSON report was written where it says


def test_gate_component_fails_the_job_and_reports_the_rollback(tmp_path: Path) -> None:
    config = tmp_path / "gate-config.yml"
    config.write_text(CONFIG.format(value=0), encoding="utf-8")
    with prometheus(tmp_path) as base:
        pipeline = f"""stages: [verify]
include:
  - local: templates/gate.yml
    inputs:
      stage: verify
      config: {config}
      set: |
        service_name=checkout
        prometheus={base}
"""
        run = run_gitlab_ci_local(tmp_path, pipeline, {"PROMETHEUS_URL": base})
    assert run.code != 0, run.output
    dotenv = (run.workdir / "cibridge-gate.env").read_text()
    assert "result=fail" in dotenv and "action=rollback" in dotenv
    assert "rollback_pipeline=rollback-checkout" in dotenv
    suite = ET.parse(run.workdir / "cibridge-gate.xml").getroot()  # noqa: S314 - our own output
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["round_trip"]
