"""Where a pipeline name runs: a GitHub workflow or a GitLab project's pipeline.

``pipelines.<name>`` in the config says it (``github: {repository, workflow, ref, inputs}``
or ``gitlab: {project, ref, variables}``); without an entry the name is the workflow
``<name>.yml`` of the current repository on GitHub, or the current project's pipeline on
GitLab. ``{{ name }}`` placeholders in inputs and variables are filled from the values the
caller gives (the trigger's Jira match, the gate's deploy); what a dispatch carries when
the config names no inputs / variables is the caller's too (``Defaults``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config

GITHUB_API = "https://api.github.com"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Here:
    """What the CI run knows about where it is (read once by the command)."""

    platform: str = "local"
    repository: str = ""  # GITHUB_REPOSITORY
    github_api: str = ""  # GITHUB_API_URL
    default_branch: str = ""  # from the GitHub event payload (repository.default_branch)
    gitlab_project: str = ""  # CI_PROJECT_ID
    gitlab_api: str = ""  # CI_API_V4_URL
    gitlab_default_branch: str = ""  # CI_DEFAULT_BRANCH


@dataclass(frozen=True)
class Defaults:
    """What a dispatch carries when the config names no inputs / variables."""

    github_inputs: Mapping[str, str] = field(default_factory=dict)
    gitlab_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    kind: str  # github | gitlab
    api_url: str
    place: str  # owner/repo, or the GitLab project id or path
    workflow: str = ""
    ref: str = ""  # "" : the default branch, looked up when dispatching
    values: dict[str, str] = field(default_factory=dict)  # templates of inputs / variables
    environment: str = ""
    where: str = ""  # config line, for errors

    def describe(self) -> str:
        ref = f"@{self.ref}" if self.ref else ""
        if self.kind == "github":
            return f"github:{self.place}/{self.workflow}{ref}"
        return f"gitlab:{self.place}{ref}"

    @property
    def carries_change_id(self) -> bool:
        """Whether the run this target starts carries ``{{ change_id }}``, so the target
        itself can be asked whether that change already started it."""
        return any(
            found.group(1) == "change_id"
            for value in self.values.values()
            for found in _PLACEHOLDER.finditer(value)
        )

    def fill(self, values: Mapping[str, str], pipeline: str) -> dict[str, str]:
        """The inputs / variables with their placeholders filled from ``values``; the
        pipeline's own ``environment`` wins over the caller's."""
        known = {**values, "environment": self.environment or values.get("environment", "")}

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in known:
                raise CibridgeError(
                    f"{self.where}: unknown placeholder {{{{ {name} }}}} in pipeline {pipeline}",
                    hint=f"use one of {', '.join(known)}",
                )
            return known[name]

        return {key: _PLACEHOLDER.sub(substitute, value) for key, value in self.values.items()}


def _strings(config: Config, *path: str) -> dict[str, str] | None:
    raw: Any = config.raw(*path)
    if not isinstance(raw, dict):
        return None
    return {str(key): str(config.value(*path, key)) for key in raw}


def resolve(name: str, config: Config, here: Here, defaults: Defaults) -> Target:
    """The target of pipeline ``name``; a usage error (exit 2) when there is none."""
    path = ("pipelines", name)
    entry: Any = config.raw(*path)
    environment = str(config.value(*path, "environment") or "") if isinstance(entry, dict) else ""
    where = config.where(*path)
    if isinstance(entry, dict) and "github" in entry and "gitlab" in entry:
        raise CibridgeError(
            f"{where}: pipelines.{name} names both a GitHub and a GitLab target",
            hint="keep one; a pipeline runs in one place",
        )
    if isinstance(entry, dict) and isinstance(entry.get("github"), dict):
        return _github(name, config, (*path, "github"), here, environment, defaults)
    if isinstance(entry, dict) and isinstance(entry.get("gitlab"), dict):
        return _gitlab(name, config, (*path, "gitlab"), here, environment, defaults)
    if here.platform == "github":
        return _github(name, config, (*path, "github"), here, environment, defaults)
    if here.platform == "gitlab":
        return _gitlab(name, config, (*path, "gitlab"), here, environment, defaults)
    raise CibridgeError(
        f"pipeline {name!r} has no target: add pipelines.{name}.github or .gitlab to the config",
        hint="outside GitHub Actions and GitLab CI there is no current repository to default "
        "to, e.g. pipelines: {"
        + name
        + ": {github: {repository: acme/app, workflow: deploy.yml}}}",
    )


def _github(
    name: str,
    config: Config,
    path: tuple[str, ...],
    here: Here,
    environment: str,
    defaults: Defaults,
) -> Target:
    repository = str(config.value(*path, "repository") or here.repository)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise CibridgeError(
            f"pipeline {name}: GitHub repository {repository[:80]!r} is not owner/name "
            f"({config.where(*path)})",
            hint=f"set pipelines.{name}.github.repository, e.g. acme/checkout",
        )
    workflow = str(config.value(*path, "workflow") or f"{name}.yml")
    api = str(config.value(*path, "api_url") or here.github_api or GITHUB_API).rstrip("/")
    inputs = _strings(config, *path, "inputs")
    return Target(
        "github",
        api,
        repository,
        workflow,
        str(config.value(*path, "ref") or ""),
        dict(defaults.github_inputs) if inputs is None else inputs,
        environment,
        config.where(*path),
    )


def _gitlab(
    name: str,
    config: Config,
    path: tuple[str, ...],
    here: Here,
    environment: str,
    defaults: Defaults,
) -> Target:
    project = str(config.value(*path, "project") or here.gitlab_project)
    api = str(config.value(*path, "api_url") or here.gitlab_api).rstrip("/")
    if not project:
        raise CibridgeError(
            f"pipeline {name}: no GitLab project ({config.where(*path)})",
            hint=f"set pipelines.{name}.gitlab.project (id or group/name)",
        )
    if not api:
        raise CibridgeError(
            f"pipeline {name}: no GitLab API URL (CI_API_V4_URL is not set)",
            hint=f"set pipelines.{name}.gitlab.api_url, e.g. https://gitlab.example.com/api/v4",
        )
    variables = _strings(config, *path, "variables")
    ref = str(config.value(*path, "ref") or "")
    if not ref and project == here.gitlab_project:
        ref = here.gitlab_default_branch
    return Target(
        "gitlab",
        api,
        project,
        "",
        ref,
        dict(defaults.gitlab_variables) if variables is None else variables,
        environment,
        config.where(*path),
    )
