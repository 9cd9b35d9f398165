"""The demo's trigger chapter: an issue moved to "Ready for Deployment" in the loopback Jira
starts exactly one (stand-in) GitHub workflow run; a second delivery of the same webhook, as
Jira sends when it retries, starts none.

Everything goes over HTTP to the stand-ins named in ``env``, as in a real run: the issue is
moved through Jira's transitions API, and the runs are counted through GitHub's runs API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.http.transport import Transport

KEY = "PROJ-1"
REPOSITORY = "acme/checkout"
WORKFLOW = "checkout-deploy.yml"
CONFIG: dict[str, Any] = {
    "deployment_triggers": {
        "jira": {
            "issue_status_trigger": {
                "enabled": True,
                "issue_types": ["Story", "Bug"],
                "target_status": "Ready for Deployment",
                "pipeline_mapping": {"PROJ": "checkout-deploy"},
            }
        }
    },
    "pipelines": {
        "checkout-deploy": {
            "github": {"repository": REPOSITORY, "workflow": WORKFLOW},
            "environment": "production",
        }
    },
}


def _runs(transport: Transport, env: dict[str, str], token: str) -> int:
    from cibridge.http.auth import Bearer

    url = f"{env['GITHUB_API_URL']}/repos/{REPOSITORY}/actions/runs"
    response = transport.request("GET", url, auth=Bearer(token), what="GitHub runs")
    data = response.json()
    runs = data.get("workflow_runs") if isinstance(data, dict) else None
    return len(
        [r for r in runs or [] if isinstance(r, dict) and r.get("path", "").endswith(WORKFLOW)]
    )


def chapter(stage: Stage, env: dict[str, str]) -> int:
    from cibridge.clients import pipelines as dispatch
    from cibridge.clients.jira import JiraClient
    from cibridge.clients.targets import Here
    from cibridge.config.loader import Config
    from cibridge.demo.standins import GITHUB_API_TOKEN
    from cibridge.http.transport import HttpSettings, Transport
    from cibridge.jira import settings
    from cibridge.trigger import reporting, rules, service, source

    say = stage.platform.print
    transport = Transport(HttpSettings.from_env(env))
    config = Config(data=CONFIG, env=env)
    stage.used.update(CONFIG)
    jira = settings.load(config, env, transport)
    client = JiraClient(transport, jira.base_url, jira.auth, jira.api_version, timeout=jira.timeout)
    for transition, name in (("21", "Send to Review"), ("41", "Approve for Deployment")):
        client.transition(KEY, transition, {})
        say(f"Jira: {KEY} → {name}")
    # What Jira's webhook sends; only the key is used, the rest is re-read from Jira.
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"key": KEY},
            "changelog": {"items": [{"field": "status", "toString": "Ready for Deployment"}]},
        }
    ).encode()
    here = Here(platform="local", github_api=env["GITHUB_API_URL"])
    deps = service.Dependencies(
        client,
        dispatch.Dispatcher(transport, dispatch.Credentials(github_token=GITHUB_API_TOKEN)),
        config,
        rules.load(config),
        say,
    )
    codes = []
    for delivery in ("The webhook arrives", "Jira retries the same delivery"):
        say(f"\n{delivery}:")
        request = service.TriggerRequest(
            source=source.from_webhook(json.loads(body), "webhook"),
            dispatch=True,
            run=stage.context.run_url or "https://ci.example.com/demo/runs/1",
            now="2026-11-28T09:00:00+00:00",
            here=here,
        )
        result = service.run(request, deps)
        reporting.report(stage.platform, result)
        codes.append(result.exit_code)
        # The delivery that started the pipeline is the one a release thread reports.
        stage.published.setdefault("trigger", dict(stage.platform.outputs))
    started = _runs(transport, env, GITHUB_API_TOKEN)
    say(f"\nGitHub runs of {WORKFLOW} started: {started} (two deliveries, one deployment)")
    return max(*codes, EXIT_OK if started == 1 else EXIT_FAILURE)
