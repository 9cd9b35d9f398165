"""Where Jira is and how to sign in, from the config and the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cibridge.core.errors import CibridgeError
from cibridge.http.integration import AuthEnv, IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

# The names Atlassian's own (now deprecated) gajira actions used, plus a Data Center PAT and
# OAuth 2.0 client credentials (service accounts).
AUTH_ENV = AuthEnv.of("jira")
GATEWAY = "https://api.atlassian.com/ex/jira"


@dataclass
class JiraSettings:
    base_url: str
    api_version: int
    auth: Auth | None
    projects: tuple[str, ...]
    deployments_url: str = ""  # where the Deployments API is


def is_cloud(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return (
        host.endswith(".atlassian.net") or host.endswith(".jira.com") or host == "api.atlassian.com"
    )


def load(config: Config, env: Mapping[str, str], transport: Transport | None) -> JiraSettings:
    from cibridge.core.urls import ensure_url

    settings = IntegrationSettings("jira", "project_management", config, env)
    base = settings.value("base_url", "JIRA_BASE_URL") or settings.value("url")
    cloud_id = settings.value("cloud_id", "JIRA_CLOUD_ID")
    if cloud_id:
        # Scoped tokens and service accounts only work through the API gateway.
        base = f"{GATEWAY}/{cloud_id}"
    if not base:
        raise CibridgeError(
            "Jira: no base URL is configured",
            hint="set JIRA_BASE_URL (https://your-domain.atlassian.net) or base_url under "
            "integration_configs.project_management.jira",
        )
    base = ensure_url(
        str(base), f"Jira base_url ({settings.where('base_url', 'JIRA_BASE_URL')})"
    ).rstrip("/")
    version = settings.value("api_version", "JIRA_API_VERSION")
    deployment = str(settings.value("deployment", default="") or "").lower()
    if version in (None, ""):
        version = 3 if deployment == "cloud" or (not deployment and is_cloud(base)) else 2
    if str(version) not in ("2", "3"):
        raise CibridgeError(
            f"Jira api_version {version!r} "
            f"({settings.where('api_version', 'JIRA_API_VERSION')}) is not 2 or 3",
            hint="3 for Jira Cloud, 2 for Data Center / Server",
        )
    auth = None
    if transport is not None:
        auth = settings.auth(AUTH_ENV, transport, "Jira")
    mapping = settings.value("project_mapping") or {}
    projects = tuple(str(key).upper() for key in mapping) if isinstance(mapping, dict) else ()
    from cibridge.jira.deployments import endpoint

    configured = str(settings.value("deployments_url", "JIRA_DEPLOYMENTS_URL") or "")
    site = str(settings.value("base_url", "JIRA_BASE_URL") or settings.value("url") or base)
    deployments = endpoint(site, str(cloud_id or ""), configured)
    return JiraSettings(base, int(version), auth, projects, deployments)
