"""Where Azure Boards is and how to sign in, from the config, the environment and, in
Azure Pipelines, the agent's own variables.

The block is the design's ``integration_configs.project_management.azure_devops`` (or
``integrations.azure_devops``): ``base_url`` (default ``https://dev.azure.com``; an Azure
DevOps Server collection URL such as ``https://tfs.example.com/tfs/DefaultCollection``),
``organization``, ``project`` and ``auth`` (``type: pat`` → HTTP Basic with an empty user
and the PAT as password; ``type: bearer`` → a Microsoft Entra ID token). Each setting also
has an environment variable (``AZURE_DEVOPS_URL``, ``AZURE_DEVOPS_ORG``,
``AZURE_DEVOPS_PROJECT``, ``AZURE_DEVOPS_EXT_PAT``, ``AZURE_DEVOPS_TOKEN``); in Azure
Pipelines ``SYSTEM_COLLECTIONURI``, ``SYSTEM_TEAMPROJECT`` and ``SYSTEM_ACCESSTOKEN`` are
used when nothing else is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.auth import Auth

DEFAULT_BASE = "https://dev.azure.com"
MAX_ITEMS = 100  # per run, like jira's max_issues
SECTION = ("integration_configs", "project_management", "azure_devops")


@dataclass(frozen=True)
class PipelineRun:
    """What an Azure Pipelines agent says about the run (all empty outside one)."""

    collection_uri: str = ""
    project: str = ""
    project_id: str = ""
    access_token: str = ""
    build_id: str = ""
    repository_provider: str = ""  # TfsGit: the repository is in Azure Repos
    repository_id: str = ""
    source_version: str = ""

    @property
    def active(self) -> bool:
        return bool(self.collection_uri and self.build_id)

    @property
    def azure_repos(self) -> bool:
        return self.repository_provider == "TfsGit"


def pipeline_run(env: Mapping[str, str]) -> PipelineRun:
    """The Azure Pipelines variables boards uses, read in this one place (the Azure
    Pipelines platform reads the same names for the context)."""

    def get(key: str) -> str:
        return env.get(variables.name("azure_pipelines", key), "").strip()

    return PipelineRun(
        collection_uri=get("collection_uri"),
        project=get("project"),
        project_id=get("project_id"),
        access_token=get("access_token"),
        build_id=get("build_id"),
        repository_provider=get("repository_provider"),
        repository_id=get("repository_id"),
        source_version=get("source_version"),
    )


@dataclass
class BoardsSettings:
    collection_url: str  # https://dev.azure.com/{organization}, or a Server collection
    project: str
    auth: Auth | None
    max_items: int | None = None  # max_items in the config
    timeout: float | None = None
    pipeline: PipelineRun = PipelineRun()


def _env(key: str) -> str:
    return variables.name("azure_devops", key)


def _collection(base: str, organization: str, where: str) -> str:
    """The organization's (or collection's) URL: ``base/organization``, or ``base`` itself
    when it already names one (a Server collection, ``https://{org}.visualstudio.com``)."""
    from cibridge.core.urls import ensure_url

    base = ensure_url(base, f"Azure DevOps base_url ({where})").rstrip("/")
    if organization:
        return f"{base}/{organization.strip('/')}"
    parts = urlsplit(base)
    if parts.path.strip("/") or (parts.hostname or "").endswith(".visualstudio.com"):
        return base
    raise CibridgeError(
        f"Azure DevOps: no organization for {base}",
        hint=f"set {_env('organization')} (the name after {DEFAULT_BASE}/) or organization "
        "under integration_configs.project_management.azure_devops; for Azure DevOps Server "
        "set base_url to the collection URL",
    )


def enabled(config: Config, env: Mapping[str, str]) -> bool:
    return IntegrationSettings("azure_devops", "project_management", config, env).enabled()


def load(config: Config, env: Mapping[str, str], *, with_auth: bool = True) -> BoardsSettings:
    settings = IntegrationSettings("azure_devops", "project_management", config, env)
    run = pipeline_run(env)
    if settings.configured() and not settings.enabled():
        raise CibridgeError(
            f"Azure DevOps is disabled ({settings.where('enabled')}: enabled: false)",
            hint="set enabled: true under integration_configs.project_management.azure_devops",
        )
    base = settings.value("base_url", _env("base_url")) or settings.value("url")
    organization = str(settings.value("organization", _env("organization")) or "")
    if base or organization:
        where = settings.where("base_url", _env("base_url"))
        collection = _collection(str(base or DEFAULT_BASE), organization, where)
    elif run.collection_uri:
        collection = _collection(run.collection_uri, "", "SYSTEM_COLLECTIONURI")
    else:
        raise CibridgeError(
            "Azure DevOps: no organization is configured",
            hint=f"set {_env('organization')} and {_env('project')} (or organization and "
            "project under integration_configs.project_management.azure_devops)",
        )
    project = str(settings.value("project", _env("project")) or run.project)
    if not project:
        raise CibridgeError(
            "Azure DevOps: no project is configured",
            hint=f"set {_env('project')} or project under "
            "integration_configs.project_management.azure_devops",
        )
    raw_max = settings.value("max_items")
    auth = _auth(settings, run) if with_auth else None
    return BoardsSettings(
        collection,
        project,
        auth,
        int(raw_max) if isinstance(raw_max, int) else None,
        settings.timeout(),
        run,
    )


def _auth(settings: IntegrationSettings, run: PipelineRun) -> Auth:
    """PAT (Basic, empty user) or bearer, by ``auth.type``; without a type, the first
    credential set: a PAT, an Entra ID token, then Azure Pipelines' job token."""
    from cibridge.core import redact
    from cibridge.http.auth import Basic, Bearer

    kind = str(settings.value("type", default="") or "").lower()
    if kind not in ("", "pat", "bearer", "token", "basic"):
        raise CibridgeError(
            f"Azure DevOps: auth type {kind!r} ({settings.where('type')}) is not pat or bearer",
            hint="type: pat (a personal access token) or type: bearer (a Microsoft Entra ID "
            "token, or Azure Pipelines' System.AccessToken)",
        )
    configured = settings.secret("token") or settings.secret("password")
    pat = settings.secret("password", _env("password")) if kind != "bearer" else None
    bearer = settings.secret("token", _env("token")) if kind not in ("pat", "basic") else None
    if run.access_token:
        redact.register(run.access_token)
    if kind in ("pat", "basic"):
        token = configured or pat
        if token:
            return Basic("", token)
    elif kind in ("bearer", "token"):
        token = configured or bearer or run.access_token
        if token:
            return Bearer(token)
    elif pat:
        return Basic("", pat)
    elif bearer:
        return Bearer(bearer)
    elif run.access_token:
        return Bearer(run.access_token)
    raise CibridgeError(
        "Azure DevOps: no credentials",
        hint=f"set {_env('password')} (a PAT with the Work Items Read & write scope), "
        f"{_env('token')} (an Entra ID token), token_ref in the azure_devops auth block, or "
        "in Azure Pipelines pass env: SYSTEM_ACCESSTOKEN: $(System.AccessToken) to the step",
    )
