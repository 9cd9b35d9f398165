"""Who to @mention: commit authors and the run's actor, mapped to provider ids in config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cibridge.config.loader import Config


def people(variables: Mapping[str, Any]) -> list[str]:
    found = [str(variables.get("actor") or "")]
    for commit in variables.get("commits") or []:
        author = commit.get("author") or {}
        found.extend([str(author.get("login") or ""), str(author.get("email") or "")])
    return [p for p in dict.fromkeys(p.lower() for p in found) if p]


def applies(config: Config, status: str, when: str | None = None) -> bool:
    policy = when or config.value("notify", "mentions", "when") or "failure"
    return policy == "always" or (policy == "failure" and status == "failure")


def resolve(
    config: Config, variables: Mapping[str, Any], status: str, when: str | None = None
) -> list[dict[str, str]]:
    """Provider ids (one mapping per person) to mention, per the ``when`` policy."""
    if not applies(config, status, when):
        return []
    users = config.raw("notify", "mentions", "users") or {}
    by_name = {str(name).lower(): ids for name, ids in users.items()}
    chosen: list[dict[str, str]] = []
    for person in people(variables):
        ids = by_name.get(person)
        if ids and {k: str(v) for k, v in ids.items()} not in chosen:
            chosen.append({k: str(v) for k, v in ids.items()})
    return chosen
