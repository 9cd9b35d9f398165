"""Recording a deployment in Jira Software, so each issue shows "deployed to production".

The Deployments API (``specs/jira-software-v3.openapi.json``, ``submitDeployments``) keys a
deployment by pipeline, environment and ``deploymentSequenceNumber``; a later submission of
the same key with a higher ``updateSequenceNumber`` replaces it. The run id is the sequence
number (GitHub run ids and GitLab pipeline ids only grow), and the submission time in
milliseconds the update number, so a re-run updates its deployment and never goes back.

Jira accepts this API only from OAuth 2.0 integrations ("OAuth credentials" in Jira's
settings) and Connect apps: an API token is refused, and the hint says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.clients.jira import JiraError
from cibridge.context import job_status
from cibridge.core import isotime
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.clients.jira import JiraClient
    from cibridge.context.model import Context

TYPES = ("unmapped", "development", "testing", "staging", "production")
# First match wins, so "preprod" is staging before "prod" is production.
_TYPE_BY_NAME = [
    (re.compile(r"stag|pre-?prod|uat"), "staging"),
    (re.compile(r"prod|live"), "production"),
    (re.compile(r"test|qa"), "testing"),
    (re.compile(r"dev|review|sandbox|local|preview"), "development"),
]
MAX_KEYS = 500  # issue keys across a deployment's associations (the API's limit)
LIMIT = 255  # most strings in the API
GATEWAY = "https://api.atlassian.com/jira/deployments/0.1/cloud"
NEEDS_OAUTH = (
    "the Deployments API takes only OAuth 2.0 credentials of an integration (Jira settings > "
    "Apps > OAuth credentials): set JIRA_CLIENT_ID, JIRA_CLIENT_SECRET and JIRA_CLOUD_ID; "
    "an API token or PAT is refused"
)


@dataclass
class Deployment:
    state: str  # a Deployments API state (context.job_status)
    environment: str
    environment_type: str
    sequence: int
    pipeline_id: str
    pipeline_name: str
    pipeline_url: str
    url: str
    name: str
    label: str = ""


@dataclass
class Outcome:
    accepted: bool
    unknown_keys: list[str] = field(default_factory=list)

    def line(self, deployment: Deployment, keys: int) -> str:
        return (
            f"Jira deployment {deployment.sequence} to {deployment.environment} "
            f"({deployment.environment_type}): {deployment.state}, {keys} issue(s)"
        )


def environment_type(name: str, configured: Mapping[str, str] | None = None) -> str:
    """The environment's type: as configured for that name, else guessed from the name, else
    ``unmapped`` (which Jira shows, but leaves out of its deployment-frequency reports)."""
    for candidate, kind in (configured or {}).items():
        if candidate.casefold() == name.casefold():
            if kind not in TYPES:
                raise CibridgeError(
                    f"Jira deployment: environment type {kind!r} for {name!r} is not one of "
                    f"{', '.join(TYPES)}"
                )
            return kind
    lowered = name.casefold()
    return next((kind for pattern, kind in _TYPE_BY_NAME if pattern.search(lowered)), "unmapped")


def state(status: str) -> str:
    """The deployment state for a job status in any platform's words, or one of Jira's own
    state names."""
    found = job_status.jira_deployment_state(status)
    if found is None:
        choices = (*job_status.STATUSES, *job_status.JIRA_DEPLOYMENT_ONLY)
        raise CibridgeError(
            f"Jira deployment: status {status!r} has no deployment state",
            hint=f"use one of {', '.join(choices)}",
        )
    return found


def from_context(
    context: Context, status: str, types: Mapping[str, str] | None = None, now: float | None = None
) -> Deployment:
    environment = context.environment
    if not environment:
        raise CibridgeError(
            "Jira deployment: no environment to record",
            hint="pass --environment NAME (or run in a job with a deployment environment)",
        )
    run = context.run_id
    sequence = int(run) if run.isdigit() else int(now or time.time())
    pipeline = " ".join(part for part in (context.repository, context.workflow) if part) or "CI"
    where = context.run_url or context.repository_url
    if not where:
        raise CibridgeError(
            "Jira deployment: the run has no URL for Jira to link to",
            hint="run it in GitHub Actions or GitLab CI, where the context has the run's URL",
        )
    return Deployment(
        state=state(status),
        environment=environment,
        environment_type=environment_type(environment, types),
        sequence=sequence,
        pipeline_id=pipeline,
        pipeline_name=context.workflow or context.repository or "CI",
        pipeline_url=context.repository_url or where,
        url=where,
        name=f"{pipeline} #{run or sequence}",
        label=context.version or context.tag or context.sha[:12],
    )


def payload(deployment: Deployment, keys: Sequence[str], now: float | None = None) -> Any:
    moment = time.time() if now is None else now
    data: dict[str, Any] = {
        "schemaVersion": "1.0",
        "deploymentSequenceNumber": deployment.sequence,
        "updateSequenceNumber": int(moment * 1000),
        "associations": [{"associationType": "issueIdOrKeys", "values": list(keys)}],
        "displayName": deployment.name[:LIMIT],
        "url": deployment.url,
        "description": f"{deployment.name} to {deployment.environment}"[:LIMIT],
        "lastUpdated": isotime.text(moment),
        "state": deployment.state,
        "pipeline": {
            "id": deployment.pipeline_id[:LIMIT],
            "displayName": deployment.pipeline_name[:LIMIT],
            "url": deployment.pipeline_url,
        },
        "environment": {
            "id": deployment.environment[:LIMIT],
            "displayName": deployment.environment[:LIMIT],
            "type": deployment.environment_type,
        },
    }
    if deployment.label:
        data["label"] = deployment.label[:LIMIT]
    return {"deployments": [data]}


def endpoint(base_url: str, cloud_id: str, configured: str = "") -> str:
    """Where deployments go: as configured; through Atlassian's gateway for a cloud id (how
    OAuth integrations reach it); else the site's own ``/rest/deployments`` path."""
    if configured:
        return configured
    if cloud_id:
        return f"{GATEWAY}/{cloud_id}/bulk"
    return f"{base_url.rstrip('/')}/rest/deployments/0.1/bulk"


def submit(
    client: JiraClient,
    url: str,
    deployment: Deployment,
    keys: Sequence[str],
    now: float | None = None,
) -> Outcome:
    """Sends the deployment for ``keys`` (at most MAX_KEYS); a rejection is a JiraError with
    Jira's reasons."""
    if not keys:
        raise CibridgeError("Jira deployment: no issue to record it on")
    body = payload(deployment, list(keys)[:MAX_KEYS], now)
    try:
        data = client.call("POST", url, what="deployments", json=body)
    except JiraError as error:
        if error.status in (401, 403):
            raise JiraError(str(error), error.status, NEEDS_OAUTH) from None
        raise
    if not isinstance(data, dict):
        return Outcome(accepted=True)  # a dry run
    rejected = data.get("rejectedDeployments") or []
    unknown = [str(key) for key in data.get("unknownIssueKeys") or []]
    if rejected:
        reasons = [
            str(error.get("message"))
            for item in rejected
            if isinstance(item, dict)
            for error in item.get("errors") or []
            if isinstance(error, dict)
        ]
        raise JiraError(
            f"Jira rejected the deployment: {excerpt('; '.join(reasons) or str(rejected))}",
            202,
            hint="the reasons are Jira's; fix the named fields (environment, URL, keys)",
        )
    return Outcome(accepted=True, unknown_keys=unknown)
