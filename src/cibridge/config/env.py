"""Environment variables that always hold secrets.

They are registered with the redactor (and on GitHub masked) at start-up, before anything
is printed, whether or not the command reads them.
"""

from __future__ import annotations

from collections.abc import Mapping

from cibridge.core import redact
from cibridge.notify.providers import SPECS

# Credentials of the other integrations, under the names their users already have.
OTHER = (
    "CIBRIDGE_KEY",
    "JIRA_API_TOKEN",
    "JIRA_PAT",
    "JIRA_CLIENT_SECRET",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "CI_JOB_TOKEN",
    "GITLAB_TOKEN",
    "GITLAB_TRIGGER_TOKEN",
    "PROMETHEUS_PASSWORD",
    "PROMETHEUS_TOKEN",
)
# Action input -> the variable it sets: the providers' credentials, and Jira's (whose
# inputs also carry the non-secret base URL and user so one step can configure it all).
INPUTS: dict[str, str] = {
    **{var.input: var.env for spec in SPECS for var in spec.secrets},
    "jira-base-url": "JIRA_BASE_URL",
    "jira-user-email": "JIRA_USER_EMAIL",
    "jira-api-token": "JIRA_API_TOKEN",
    "jira-pat": "JIRA_PAT",
    "jira-client-secret": "JIRA_CLIENT_SECRET",
    "prometheus-url": "PROMETHEUS_URL",
    "prometheus-token": "PROMETHEUS_TOKEN",
    "prometheus-user": "PROMETHEUS_USER",
    "prometheus-password": "PROMETHEUS_PASSWORD",
    "alertmanager-url": "ALERTMANAGER_URL",
    "pushgateway-url": "PUSHGATEWAY_URL",
    "github-token": "GITHUB_TOKEN",
    "gitlab-token": "GITLAB_TOKEN",
    "gitlab-trigger-token": "GITLAB_TRIGGER_TOKEN",
}
WEBHOOK_URLS = tuple(var.env for spec in SPECS for var in spec.secrets if var.url)
SECRETS = tuple(var.env for spec in SPECS for var in spec.secrets if not var.url) + OTHER


def register(env: Mapping[str, str]) -> None:
    for name in WEBHOOK_URLS:
        redact.register_url(env.get(name), whole_url_secret=True)
    for name in SECRETS:
        for value in env.get(name, "").split(","):  # CIBRIDGE_KEY may hold several keys
            redact.register(value.strip())
    for name in ("JIRA_BASE_URL", "PROMETHEUS_URL", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy"):
        redact.register_url(env.get(name), whole_url_secret=False)
