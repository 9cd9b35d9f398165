"""docs/azure-pipelines.md's pipelines, run step by step as an Azure Pipelines agent would.

There is no Azure Pipelines agent here, so each example's job runs in a small stand-in for
one: its steps in order, each ``script:`` in bash in a git checkout with the predefined
variables of a job (tests/azure_job.py), its ``env:`` mapped, and ``$(...)`` macros filled
in as Azure does before a step runs (the reader's secret variables, the predefined
variables, ``$(step.name)`` output variables the earlier steps set with ``##vso`` lines;
an unknown macro stays as written). A step's default condition is ``succeeded()``;
``condition: always()`` runs it after a failure too, and ``Agent.JobStatus`` says
``Failed`` from the first failed step on. Only what the reader has is added: their
``build.sh`` / ``deploy.sh``, and cibridge already installed (the ``pip install`` line).
Secret variables reach a step only through its ``env:``, so an example that forgot to map
one fails here as it would in Azure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cibridge.demo.standins import StandIns, jira_of
from cibridge.demo.standins.jira import JIRA_TOKEN
from tests.azure_job import azure_env, commands
from tests.conftest import git
from tests.doc_examples import GATE_CONFIG, Example, in_service
from tests.doc_examples import example as _example

PAGE = "docs/azure-pipelines.md"
_MACRO = re.compile(r"\$\(([A-Za-z0-9_.]+)\)")
# What cibridge may ask of the agent; anything else obeyed would be an injection.
ALLOWED = {"task.setsecret", "task.setvariable", "task.logissue", "task.uploadsummary"}


@dataclass
class Step:
    display: str
    code: int | None  # None: skipped by its condition
    out: str = ""
    err: str = ""


@dataclass
class Job:
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def step(self, display: str) -> Step:
        (found,) = [s for s in self.steps if s.display == display]
        return found


def _steps(node: Any) -> list[dict[str, Any]]:
    """The job's steps: the first ``steps:`` list in the pipeline (a job's, or a deployment
    job's runOnce hook's)."""
    if isinstance(node, dict):
        if isinstance(node.get("steps"), list):
            return node["steps"]
        for value in node.values():
            if found := _steps(value):
                return found
    if isinstance(node, list):
        for value in node:
            if found := _steps(value):
                return found
    return []


def run_job(
    example: Example,
    tmp_path: Path,
    secrets: dict[str, str],
    *,
    build_fails: bool = False,
    commit: str = "PROJ-1: empty carts no longer crash",
    **predefined: str,
) -> Job:
    checkout = tmp_path / "s"
    checkout.mkdir(parents=True)
    git(checkout, "init", "-q", "-b", "main")
    for script, fails in (("build.sh", build_fails), ("deploy.sh", False)):
        (checkout / script).write_text(f"#!/bin/sh\necho {script}\nexit {int(fails)}\n")
        (checkout / script).chmod(0o755)
    git(checkout, "add", ".")
    git(checkout, "commit", "-q", "-m", commit)
    head = git(checkout, "rev-parse", "HEAD").strip()
    agent = azure_env(tmp_path, BUILD_SOURCEVERSION=head, **predefined)
    agent["BUILD_SOURCESDIRECTORY"] = str(checkout)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    job = Job()

    def expand(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            known = {**secrets, **job.outputs}
            if name in known:
                return known[name]
            return agent.get(name.upper().replace(".", "_"), match.group(0))

        return _MACRO.sub(value, text)

    for step in _steps(yaml.safe_load(example.text)):
        if "script" not in step:
            continue  # checkout: self (done above)
        display = step.get("displayName", step["script"])
        failed = agent["AGENT_JOBSTATUS"] == "Failed"
        if failed and step.get("condition") != "always()":
            job.steps.append(Step(display, None))
            continue
        script = "\n".join(
            line for line in step["script"].splitlines() if not line.startswith("pip install")
        )
        env = {key: expand(str(value)) for key, value in (step.get("env") or {}).items()}
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", expand(script)],
            cwd=checkout,
            env={"PATH": path, "HOME": str(tmp_path), **agent, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        job.steps.append(Step(display, done.returncode, done.stdout, done.stderr))
        obeyed = {c.name for c in commands(done.stdout + done.stderr)}
        assert obeyed <= ALLOWED, (display, obeyed, done.stdout)
        for command in commands(done.stdout):
            if command.name == "task.setvariable" and "name" in step:
                job.outputs[f"{step['name']}.{command.properties['variable']}"] = command.data
        if done.returncode != 0:
            agent["AGENT_JOBSTATUS"] = "Failed"
    return job


def test_the_notify_example_reports_the_failed_build(tmp_path: Path, stand_ins: StandIns) -> None:
    example = _example(PAGE, "cibridge notify --to slack")
    webhook = stand_ins.env()["SLACK_WEBHOOK_URL"]
    job = run_job(example, tmp_path, {"SLACK_WEBHOOK_URL": webhook}, build_fails=True)
    assert job.step("Build").code == 1
    notify = job.step("Tell Slack")
    assert notify.code == 0, notify.out + notify.err  # condition: always() ran it
    [slack] = stand_ins.of("slack")
    assert slack.json["text"].startswith("❌")  # Agent.JobStatus said Failed
    masked = [c.data for c in commands(notify.out) if c.name == "task.setsecret"]
    assert webhook in masked and notify.out.startswith("##vso[task.setsecret]")


def test_the_notify_example_without_its_env_mapping_would_find_no_webhook(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    """The reason for env:: a secret variable alone is not in the script's environment."""
    example = _example(PAGE, "cibridge notify --to slack")
    unmapped = Example(
        example.page, example.line, example.language, re.sub(r"\n    env:\n.*", "\n", example.text)
    )
    job = run_job(unmapped, tmp_path, {"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]})
    assert job.step("Tell Slack").code == 2
    assert stand_ins.of("slack") == []


def test_the_jira_example_moves_the_deployed_issue_once(
    tmp_path: Path, stand_ins: StandIns
) -> None:
    example = _example(PAGE, "deployment: production")
    jira = jira_of(stand_ins)
    env = stand_ins.env()
    secrets = {name: env[name] for name in ("JIRA_BASE_URL", "JIRA_USER_EMAIL")}
    secrets["JIRA_API_TOKEN"] = JIRA_TOKEN
    job = run_job(example, tmp_path, secrets, ENVIRONMENT_NAME="production")
    step = job.step("Move the Jira issues")
    assert step.code == 0, step.out + step.err
    issue = jira.issue("PROJ-1")
    assert issue.status == "Done" and len(issue.comments) == 1
    (link,) = issue.remote_links
    assert link["object"]["url"].endswith("/Fabrikam%20Fiber/_build/results?buildId=4242")
    assert jira.spec_rejections == []
    for line in (step.out + step.err).splitlines():
        assert line.startswith("##vso[task.setsecret]") or JIRA_TOKEN not in line, line
    # The job retried: the same run, so nothing is added.
    again = run_job(example, tmp_path / "retry", secrets, ENVIRONMENT_NAME="production")
    assert again.step("Move the Jira issues").code == 0
    assert len(jira.issue("PROJ-1").comments) == 1


def test_the_gate_example_hands_its_verdict_to_the_next_step(tmp_path: Path) -> None:
    from cibridge.demo.gate import DemoService
    from tests.e2e.harness import prometheus

    example = _example(PAGE, "cibridge gate --set service_name=checkout")
    config = tmp_path / "gate.yml"
    config.write_text(GATE_CONFIG)
    with DemoService() as service, prometheus(tmp_path) as base:
        pasted = Example(
            example.page, example.line, example.language, in_service(example.text, service.port)
        )
        job = run_job(pasted, tmp_path, {"PROMETHEUS_URL": base}, CIBRIDGE_CONFIG=str(config))
    gate = job.step("Judge the deployment")
    assert gate.code == 0, gate.out + gate.err
    assert job.outputs["gate.result"] == "pass" and job.outputs["gate.action"] == "none"
    assert job.step("Read the verdict").out == "the gate said pass, action none\n"
    (summary,) = [c.data for c in commands(gate.out) if c.name == "task.uploadsummary"]
    assert "availability" in Path(summary).read_text()
