"""What the trigger's dispatches carry: a Jira match's values for the placeholders of a
pipeline's inputs / variables, and the inputs / variables sent when the config names none.
Where a pipeline runs is ``cibridge.clients.targets`` (the gate starts pipelines too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.clients.targets import Defaults

if TYPE_CHECKING:
    from cibridge.trigger.rules import Match

DEFAULTS = Defaults(
    github_inputs={
        "issue_key": "{{ issue_key }}",
        "summary": "{{ summary }}",
        "version": "{{ version }}",
        "environment": "{{ environment }}",
    },
    gitlab_variables={
        "DEPLOY_ISSUE_KEY": "{{ issue_key }}",
        "DEPLOY_ISSUE_SUMMARY": "{{ summary }}",
        "DEPLOY_VERSION": "{{ version }}",
        "DEPLOY_ENVIRONMENT": "{{ environment }}",
    },
)


def values(
    match: Match, environment: str, change_id: str = "", events_chain: str = ""
) -> dict[str, str]:
    """The placeholders a trigger's pipeline may use, in the order a hint lists them.
    ``events_chain`` is this run's CDEvents chain: handed to the started pipeline as its
    ``CIBRIDGE_EVENTS_CHAIN``, the whole release is one chain."""
    return {
        "issue_key": match.issue,
        "summary": match.summary,
        "version": match.version,
        "environment": environment,
        "rule": match.rule,
        "pipeline": match.pipeline,
        "change_id": change_id,
        "events_chain": events_chain,
    }
