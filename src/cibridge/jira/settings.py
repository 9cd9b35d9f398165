"""Where Jira is and how to sign in, from the config and the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cibridge.core import log
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


ASK = 0  # an api_version neither the config nor the host decides: resolve() asks the site


@dataclass
class JiraSettings:
    base_url: str
    api_version: int  # 3 (Cloud), 2 (Data Center) or ASK
    auth: Auth | None
    projects: tuple[str, ...]
    deployments_url: str = ""  # where the Deployments API is
    timeout: float | None = None  # seconds per read; None: the HTTP defaults


def is_cloud(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return (
        host.endswith(".atlassian.net") or host.endswith(".jira.com") or host == "api.atlassian.com"
    )


def _api_version(base: str, deployment: str) -> int:
    """3 for Jira Cloud, 2 for Data Center, from ``deployment`` or Atlassian's host names;
    ASK when neither says (a Cloud site behind a proxy or a custom domain, a Data Center)."""
    if deployment:
        chosen, why = (3 if deployment == "cloud" else 2), f"deployment: {deployment}"
    elif is_cloud(base):
        chosen, why = 3, "an Atlassian Cloud host name"
    else:
        return ASK
    log.debug(f"Jira API v{chosen} for {base}: {why}")
    return chosen


def resolve(jira: JiraSettings, transport: Transport | None) -> JiraSettings:
    """``jira`` with an API version the config and the host left open asked of the site."""
    if jira.api_version != ASK:
        return jira
    if transport is None:
        jira.api_version, why = 2, "not an Atlassian Cloud host name, and Jira was not asked"
    else:
        kind = _deployment_type(jira, transport)
        jira.api_version = 3 if kind.casefold() == "cloud" else 2
        why = f"GET /rest/api/2/serverInfo says deploymentType {kind or '(none)'!r}"
    log.debug(f"Jira API v{jira.api_version} for {jira.base_url}: {why}")
    return jira


def _deployment_type(jira: JiraSettings, transport: Transport) -> str:
    from cibridge.clients.jira import JiraClient

    base = jira.base_url
    try:
        return JiraClient(transport, base, jira.auth, 2, timeout=jira.timeout).deployment_type()
    except CibridgeError as error:
        raise CibridgeError(
            f"Jira at {base}: cannot tell Jira Cloud from Data Center: {error.message}",
            exit_code=error.exit_code,
            hint="set JIRA_API_VERSION (3 for Jira Cloud, 2 for Data Center / Server) or "
            "deployment: cloud|server|datacenter under "
            "integration_configs.project_management.jira; else check JIRA_BASE_URL and the "
            "credentials" + (f" ({error.hint})" if error.hint else ""),
        ) from None


def load(
    config: Config, env: Mapping[str, str], transport: Transport | None, *, ask: bool = True
) -> JiraSettings:
    """The settings; with ``ask=False`` an undecided API version stays ASK, so a command can
    check its own options before the site is contacted (then call resolve())."""
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
    if version not in (None, "") and str(version) not in ("2", "3"):
        raise CibridgeError(
            f"Jira api_version {version!r} "
            f"({settings.where('api_version', 'JIRA_API_VERSION')}) is not 2 or 3",
            hint="3 for Jira Cloud, 2 for Data Center / Server",
        )
    seconds = settings.timeout()
    auth = None
    if transport is not None:
        auth = settings.auth(AUTH_ENV, transport, "Jira", seconds)
    if version in (None, ""):
        deployment = str(settings.value("deployment", default="") or "").lower()
        version = _api_version(base, deployment)
    else:
        log.debug(f"Jira API v{version} for {base}: api_version ({settings.where('api_version')})")
    mapping = settings.value("project_mapping") or {}
    projects = tuple(str(key).upper() for key in mapping) if isinstance(mapping, dict) else ()
    from cibridge.jira.deployments import endpoint

    configured = str(settings.value("deployments_url", "JIRA_DEPLOYMENTS_URL") or "")
    site = str(settings.value("base_url", "JIRA_BASE_URL") or settings.value("url") or base)
    deployments = endpoint(site, str(cloud_id or ""), configured)
    found = JiraSettings(base, int(version), auth, projects, deployments, seconds)
    return resolve(found, transport) if ask else found
