"""The canary sweep: every command, on GitHub and on GitLab, with secrets that servers echo.

Each secret cibridge can be given is a random canary here. A Prometheus and a health check
that echo every credential back in their error bodies, and the stand-ins for the rest,
answer the commands; then every byte the command produced is searched: stdout, stderr, the
step outputs and summary (GitHub), the dotenv report (GitLab), and every report file it
wrote (JSON, JUnit, alert rules). A canary must not appear whole, encoded (percent, base64,
JSON) or in part (any 8 characters of it in a row).
"""

from __future__ import annotations

import base64
import json
import secrets
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cibridge.cli.commands import NAMES
from cibridge.demo.standins import (
    GOOGLE_CHAT_TOKEN,
    MATTERMOST_CHANNELS,
    Discord,
    GitHubApi,
    GitLabApi,
    GoogleChat,
    StandIns,
    Telegram,
    boards_of,
    jira_of,
)
from cibridge.demo.standins.discord import DISCORD_WEBHOOK_ID
from cibridge.demo.standins.github_jobs import job as github_job
from cibridge.demo.standins.gitlab_jobs import job as gitlab_job
from cibridge.demo.standins.slack import Slack
from tests.azure_job import azure_env
from tests.conftest import FIXTURES, SEED, run_process
from tests.github_job import github_env
from tests.smtp_server import smtp_server
from tests.trigger.helpers import configs as trigger_configs
from tests.trigger.helpers import seed_projects

REPO = "acme/checkout"
PART = 8  # a leak of this many characters in a row counts


def _canary(name: str) -> str:
    return f"{name}-{secrets.token_hex(12)}"


def _forms(canary: str) -> set[str]:
    whole = {
        canary,
        quote(canary, safe=""),
        quote_plus(canary),
        base64.b64encode(canary.encode()).decode().rstrip("="),
        json.dumps(canary)[1:-1],
    }
    # The random tail, in every 8-character window: a cut excerpt shows part of a secret.
    tail = canary.rsplit("-", 1)[-1]
    return whole | {tail[i : i + PART] for i in range(len(tail) - PART + 1)}


@pytest.fixture
def canaries() -> dict[str, str]:
    return {
        "PROM_TOKEN": _canary("prom-token"),
        "PROMETHEUS_PASSWORD": _canary("prom-password"),
        "HEALTH_KEY": _canary("health-key"),
        "CIBRIDGE_TRIGGER_KEY": secrets.token_hex(32),
        "CIBRIDGE_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SHARED_SECRET": _canary("shared-secret"),
        "GITHUB_TOKEN": _canary("ghs"),
        "GITLAB_TOKEN": _canary("glpat"),
        "AZURE_DEVOPS_EXT_PAT": _canary("ado-pat"),
        # Mattermost's REST API refuses it and names it in detailed_error ("token=...").
        "MATTERMOST_TOKEN": _canary("mattermost-token"),
        "DISCORD_TOKEN": _canary("discord-token"),  # in the path of DISCORD_WEBHOOK_URL
        "SLACK_BOT_TOKEN": _canary("xoxb"),
        # The SMTP server below refuses it (a random password is the wrong one).
        "SMTP_PASSWORD": _canary("smtp-password"),
        "TELEGRAM_BOT_TOKEN": f"7000000002:{_canary('telegram')}",  # in the path of each call
        "GOOGLE_CHAT_TOKEN": _canary("gchat-token"),  # in the query of its webhook URL
    }


@pytest.fixture
def echoing(httpserver: HTTPServer, canaries: dict[str, str]) -> HTTPServer:
    """A Prometheus and a health endpoint that echo every credential they were sent."""

    def echo(request: Request) -> Response:
        echoed = " ".join(f"{k}={v}" for k, v in request.headers.items())
        body = {"status": "error", "errorType": "bad_data", "error": f"denied: {echoed}"}
        return Response(json.dumps(body), status=400, content_type="application/json")

    httpserver.expect_request("/api/v1/query").respond_with_handler(echo)
    # An event sink refusing with every header it was sent: the signature, a token.
    httpserver.expect_request("/sink").respond_with_handler(
        lambda request: Response(f"refused {dict(request.headers)}", status=400)
    )
    httpserver.expect_request("/health").respond_with_handler(
        lambda request: Response(f"bad {dict(request.headers)}", status=500)
    )
    return httpserver


GATE = """integrations:
  prometheus: {{type: bearer, token: '${{PROM_TOKEN}}'}}
post_deployment_validation:
  metrics_validation:
    - {{name: errors, query: 'up{{job="api"}}', max_value: 1}}
  health_check_validation:
    http_checks:
      - {{url: '{health}', headers: {{X-Key: '${{HEALTH_KEY}}'}}}}
"""

# The same checks with a rollback policy: the failing health check starts the rollback.
GATE_DISPATCH = GATE.replace("'}}}}\n", "'}}, failure_action: rollback}}\n") + (
    "  rollback_policy:\n    rollback_pipeline: rollback-checkout\n"
)

EVENTS = """events:
  to: [http]
  timeout: 2s
integration_configs:
  messaging:
    http:
      url: '{sink}'
      secret: '${{SHARED_SECRET}}'
      headers: {{Authorization: 'Bearer ${{PROM_TOKEN}}'}}
"""

# Each command with its arguments, the exit code and a line it must print, so a command
# that fails early and prints nothing cannot pass as "leaked nothing".
SCENARIOS: list[tuple[str, list[str], int, str]] = [
    ("notify", ["notify", "--status", "failure", "--to", "slack", "--to", "dingtalk",
                "--to", "webhook", "--to", "discord", "--to", "telegram", "--to",
                "google_chat"], 0, "delivered"),
    ("notify mattermost", ["notify", "--status", "failure", "--to", "mattermost"], 1,
     "Invalid or expired session"),
    ("notify email", ["notify", "--status", "failure", "--to", "email"], 1,
     "refused the login"),
    ("notify attach", ["notify", "--status", "success", "--to", "slack", "--channel",
                       "C0DEPLOYS", "--attach", "leaky.log"], 0, "attached leaky.log"),
    ("jira", ["jira", "--issue", "PROJ-1", "--comment"], 0, "PROJ-1"),
    ("boards", ["boards", "--work-item", "100", "--comment", "--tag", "shipped",
                "--state-category", "Completed"], 0, "AB#100"),
    ("gate", ["gate", "--report", "gate.json", "--junit", "gate.xml", "--chart", "gate.svg"], 1,
     "errors"),
    ("gate rules", ["gate", "rules", "--output", "rules.yml"], 0, ""),
    ("gate dispatch", ["gate", "--dispatch"], 1, "rollback: started"),
    ("trigger", ["trigger", "--issue", "PROJ1-1", "--dispatch"], 0, "started acme/checkout"),
    ("summary", ["summary", "--to", "slack", "--to", "webhook"], 0, "delivered"),
    ("render", ["render", "--show-context"], 0, '"repository"'),
    ("config", ["config", "show"], 0, "integration_configs"),
    ("secret", ["secret", "encrypt"], 0, "enc:"),
    ("sign", ["sign", "--secret-env", "SHARED_SECRET", "payload.json"], 0, "sha256="),
    ("verify", ["verify", "--secret-env", "SHARED_SECRET", "--signature", "sha256=00",
                "payload.json"], 1, ""),
    ("demo", ["demo", "--sample"], 0, "What each notification stand-in received"),
    ("standins", ["standins", "--for", "0.1"], 0, "SLACK_WEBHOOK_URL="),
    ("events send", ["events", "send", "--type", "service.deployed", "--set",
                     "environment.id=production", "--set", "artifactId=pkg:generic/x@1"], 0,
     "not delivered to http: HTTP 400: refused"),
    ("events flush", ["events", "flush"], 1, "stay spooled for http: HTTP 400: refused"),
    ("notify events", ["notify", "--status", "success", "--to", "webhook"], 0,
     "not delivered to http: HTTP 400: refused"),
    ("notify release", ["notify", "--status", "failure", "--to", "slack", "--to", "dingtalk",
                        "--release", "v1"], 0, "release v1: posted the parent"),
    ("gate release", ["gate", "--report", "gate.json", "--release", "v1"], 1,
     "release v1: posted the parent"),
]  # fmt: skip


# The same commands verbose, as a dry run and with JSON outputs: other code paths print.
VARIANTS = [
    (name, [flag, *argv], code, marker)
    for name, argv, code, marker in SCENARIOS
    if name
    in (
        "notify",
        "notify mattermost",
        "notify email",
        "notify attach",
        "jira",
        "boards",
        "gate",
        "gate dispatch",
        "trigger",
        "notify events",
        "notify release",
        "events send",
        "summary",
    )
    for flag in ("-v", "--dry-run", "--json")
]
SCENARIOS_AND_VARIANTS = SCENARIOS + [
    (f"{name} {argv[0]}", argv, _code, marker) for name, argv, _code, marker in VARIANTS
]


def test_every_command_has_a_scenario() -> None:
    assert {name.split()[0] for name, *_ in SCENARIOS} == set(NAMES)


@pytest.mark.parametrize("platform", ["github", "gitlab", "azure-pipelines"])
@pytest.mark.parametrize(
    ("name", "argv", "code", "marker"),
    SCENARIOS_AND_VARIANTS,
    ids=[s[0] for s in SCENARIOS_AND_VARIANTS],
)
def test_no_canary_anywhere(
    name: str,
    argv: list[str],
    code: int,
    marker: str,
    platform: str,
    canaries: dict[str, str],
    echoing: HTTPServer,
    stand_ins: StandIns,
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        _sweep(name, argv, code, marker, platform, canaries, echoing, stand_ins, tmp_path, stack)


def _sweep(
    name: str,
    argv: list[str],
    code: int,
    marker: str,
    platform: str,
    canaries: dict[str, str],
    echoing: HTTPServer,
    stand_ins: StandIns,
    tmp_path: Path,
    stack: ExitStack,
) -> None:
    seed_projects(stand_ins)
    # The CI tokens are canaries too: the API stand-ins accept them.
    next(s for s in stand_ins.services if isinstance(s, GitHubApi)).tokens.add(
        canaries["GITHUB_TOKEN"]
    )
    next(s for s in stand_ins.services if isinstance(s, GitLabApi)).api_tokens.add(
        canaries["GITLAB_TOKEN"]
    )
    # The run summary reads: a run with a failed job on GitHub, a pipeline on GitLab.
    failing = github_job("build (3.11)", "failure", failed_step="Run pytest", repository=REPO)
    next(s for s in stand_ins.services if isinstance(s, GitHubApi)).jobs.script(
        REPO, 987, [github_job("lint", job_id=1, repository=REPO), failing]
    )
    next(s for s in stand_ins.services if isinstance(s, GitLabApi)).jobs.script(
        42, 6, [gitlab_job("build: [3.11]", "failed", failure_reason="script_failure")]
    )
    jira_of(stand_ins).add_issue("PROJ1", "Ship", issue_type="Story", status="Ready for Deployment")
    # The Azure DevOps PAT is a canary too: the Azure Boards stand-in accepts it.
    boards_of(stand_ins).tokens.add(canaries["AZURE_DEVOPS_EXT_PAT"])
    # The chat webhooks whose token is a canary: their stand-ins accept it.
    next(s for s in stand_ins.services if isinstance(s, Discord)).tokens.add(
        canaries["DISCORD_TOKEN"]
    )
    # So is Slack's bot token, which the release thread needs (--release).
    next(s for s in stand_ins.services if isinstance(s, Slack)).tokens.add(
        canaries["SLACK_BOT_TOKEN"]
    )
    next(s for s in stand_ins.services if isinstance(s, Telegram)).tokens.add(
        canaries["TELEGRAM_BOT_TOKEN"]
    )
    next(s for s in stand_ins.services if isinstance(s, GoogleChat)).tokens.add(
        canaries["GOOGLE_CHAT_TOKEN"]
    )
    gate = GATE_DISPATCH if name.startswith("gate dispatch") else GATE
    (tmp_path / "gate.yml").write_text(gate.format(health=echoing.url_for("/health")))
    (tmp_path / "payload.json").write_text('{"ref": "main"}')
    # --attach: a log holding every canary notify knows as a secret (the variables it
    # registers at start; PROM_TOKEN and the like are secrets only to a config that uses them).
    known = ["PROMETHEUS_PASSWORD", "CIBRIDGE_TRIGGER_KEY", "CIBRIDGE_KEY", "GITHUB_TOKEN"]
    known += ["GITLAB_TOKEN", "AZURE_DEVOPS_EXT_PAT", "SLACK_BOT_TOKEN"]
    (tmp_path / "leaky.log").write_text("".join(f"{k}={canaries[k]}\n" for k in known))
    (tmp_path / "events.yml").write_text(EVENTS.format(sink=echoing.url_for("/sink")))
    spooled = tmp_path / "spool" / "http"
    if name.startswith("events flush"):
        spooled.mkdir(parents=True, mode=0o700)
        (tmp_path / "spool").chmod(0o700)
        ticket = FIXTURES / "cdevents" / "conformance" / "ticket_updated.json"
        (spooled / "ticket.json").write_text(ticket.read_text())
    env = {
        **stand_ins.env(),
        **canaries,
        "PROMETHEUS_URL": echoing.url_for("/"),
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_EVENTS_SPOOL": str(tmp_path / "spool"),
        "MATTERMOST_URL": f"{stand_ins.base}/mattermost",
        "MATTERMOST_CHANNEL": MATTERMOST_CHANNELS["deployments"],
        "DISCORD_WEBHOOK_URL": f"{stand_ins.base}/discord/api/webhooks/{DISCORD_WEBHOOK_ID}/"
        f"{canaries['DISCORD_TOKEN']}",
        "GOOGLE_CHAT_WEBHOOK_URL": stand_ins.env()["GOOGLE_CHAT_WEBHOOK_URL"].replace(
            GOOGLE_CHAT_TOKEN, canaries["GOOGLE_CHAT_TOKEN"]
        ),
    }
    if "release" in name or name.startswith("notify attach"):  # the Web API, its bot token
        env |= {"SLACK_API_URL": f"{stand_ins.base}/slack/api"}
        if "release" in name:
            env |= {"CIBRIDGE_RELEASE_CHANNEL": "#deployments"}
    else:
        del env["SLACK_BOT_TOKEN"]  # the other scenarios use the webhook
    if platform == "github":
        env |= github_env(tmp_path)
    elif platform == "azure-pipelines":
        env |= azure_env(tmp_path)
    else:
        env |= {"GITLAB_CI": "true", "CIBRIDGE_DOTENV": str(tmp_path / "cibridge.env")}
        env |= {"GITHUB_ACTIONS": "", "CI_PROJECT_PATH": "acme/checkout"}
        env |= {"CI_COMMIT_SHA": "b" * 40, "CI_DEFAULT_BRANCH": "main"}
        if name.startswith("summary"):
            env |= {"CI_PIPELINE_ID": "6", "CI_JOB_ID": "20"}
    if name.startswith("notify email"):
        mailbox = stack.enter_context(smtp_server(tmp_path / "smtp"))
        env |= mailbox.env(SMTP_PASSWORD=canaries["SMTP_PASSWORD"])
    config = [a for p in sorted(SEED.glob("*.yml")) for a in ("--config", str(p))]
    if name.startswith("gate"):
        config = ["--config", str(tmp_path / "gate.yml")]
    elif name.split()[0] == "trigger":
        config = trigger_configs(tmp_path)
    elif name.split()[0] == "events" or name.startswith("notify events"):
        config = ["--config", str(tmp_path / "events.yml")]
    elif name.split()[0] in ("jira", "boards"):
        config = []  # the stand-in's environment alone (the seed disables azure_devops)
    stdin = b"a secret value\n" if name == "secret" else None
    result = run_process(*config, *argv, env=env, cwd=tmp_path, stdin=stdin)
    written = [
        p
        for p in tmp_path.iterdir()
        if p.is_file() and p.name not in ("gate.yml", "payload.json", "leaky.log")
    ] + sorted(spooled.glob("*.json") if spooled.is_dir() else [])
    texts = [result.out, result.err, *(p.read_text(errors="replace") for p in written)]
    forms = {form: key for key, value in canaries.items() for form in _forms(value)}
    # What the stand-ins were sent (a Jira comment and record, Slack metadata, a pipeline's
    # variables) is searched too: only the echoing Prometheus and health check get these.
    texts += [r.raw.decode(errors="replace") for r in stand_ins.received]
    for text in texts:
        for line in text.splitlines():
            if line.startswith(("::add-mask::", "##vso[task.setsecret]")):
                continue  # the one place a secret must appear: telling the runner to mask it
            leaked = [forms[form] for form in forms if form in line]
            assert not leaked, f"{leaked} leaked in: {line[:200]}"
    if name.endswith("--dry-run"):
        code = 0 if name.startswith(("gate", "trigger", "notify", "summary")) else code
    if platform == "azure-pipelines" and name.startswith("gate dispatch"):
        # Nothing to dispatch to by default: an Azure Pipelines run names no GitHub or
        # GitLab pipeline, so the rollback needs pipelines: in the config (a usage error).
        code, marker = 2, "has no target"
    if platform == "azure-pipelines" and name.startswith("summary"):
        # Azure Pipelines has no jobs API cibridge reads: the run is not known (a usage error).
        code, marker = 2, "of this run is not known"
    assert result.code == code, result.all
    assert marker in result.all or name.endswith(("--dry-run", "--json")), result.all
    if name == "gate":
        assert {"gate.json", "gate.xml", "gate.svg"} <= {p.name for p in written}
        assert "denied" in (tmp_path / "gate.json").read_text()  # the echo was reported
    if name == "gate rules":
        assert "alert:" in (tmp_path / "rules.yml").read_text()
    if platform == "gitlab" and name in ("notify", "jira", "boards", "gate", "trigger"):
        assert (tmp_path / "cibridge.env").is_file()
