"""Where this CI run is (its repository or project, API URLs, default branch): the part of
the environment the commands that start pipelines (trigger, gate --dispatch) share."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cibridge.cli.runtime import Runtime
    from cibridge.clients.targets import Here


def here(runtime: Runtime) -> Here:
    from cibridge.clients.targets import Here

    env = runtime.env
    platform = runtime.context.platform
    return Here(
        platform=platform,
        repository=env.get("GITHUB_REPOSITORY", ""),
        github_api=env.get("GITHUB_API_URL", ""),
        default_branch=event_default_branch(env) if platform == "github" else "",
        gitlab_project=env.get("CI_PROJECT_ID", "") or env.get("CI_PROJECT_PATH", ""),
        gitlab_api=env.get("CI_API_V4_URL", ""),
        gitlab_default_branch=env.get("CI_DEFAULT_BRANCH", ""),
    )


def event_default_branch(env: Any) -> str:
    path = env.get("GITHUB_EVENT_PATH", "")
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(64 * 1024 * 1024))
    except (OSError, ValueError, RecursionError):
        return ""
    repository = data.get("repository") if isinstance(data, dict) else None
    return str(repository.get("default_branch") or "") if isinstance(repository, dict) else ""
