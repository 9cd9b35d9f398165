"""How a job ended: one vocabulary, each platform's words read into it, and each target's
words written from it.

The vocabulary is notify's ``--status``: success, failure, cancelled, running. A skipped
job or step never reached an outcome, so it is ``cancelled`` for every target: never a
success, never an unknown status.
"""

from __future__ import annotations

SUCCESS = "success"
FAILURE = "failure"
CANCELLED = "cancelled"
RUNNING = "running"
STATUSES = (SUCCESS, FAILURE, CANCELLED, RUNNING)

# In: GitHub's job.status and steps.<id>.outcome / conclusion.
GITHUB = {"success": SUCCESS, "failure": FAILURE, "cancelled": CANCELLED, "skipped": CANCELLED}
# In: GitLab's CI_JOB_STATUS (running during script; the outcome in after_script) and the
# job statuses of its API.
GITLAB = {
    "success": SUCCESS,
    "failed": FAILURE,
    "canceled": CANCELLED,
    "running": RUNNING,
    "skipped": CANCELLED,
}
# In: Azure Pipelines' Agent.JobStatus. SucceededWithIssues (partially successful) is a
# success, as Azure's own condition counts it: succeeded() "for a step, equivalent to
# in(variables['Agent.JobStatus'], 'Succeeded', 'SucceededWithIssues')"
# (docs/pipelines/process/expressions.md).
AZURE_PIPELINES = {
    "succeeded": SUCCESS,
    "succeededwithissues": SUCCESS,
    "failed": FAILURE,
    "canceled": CANCELLED,
}
_READ = {**{status: status for status in STATUSES}, **GITHUB, **GITLAB, **AZURE_PIPELINES}

# Out: notify's --status and the message templates.
NOTIFY = {status: status for status in STATUSES}
# Out: the Jira Deployments API's ``state``.
JIRA_DEPLOYMENT = {
    SUCCESS: "successful",
    FAILURE: "failed",
    CANCELLED: "cancelled",
    RUNNING: "in_progress",
}
# Jira states no job status stands for, accepted as said (``--status rolled_back``).
JIRA_DEPLOYMENT_ONLY = ("pending", "rolled_back")


def read(value: str) -> str | None:
    """The status any platform's word (``failed``, ``canceled``, ``skipped``...) means, or
    None for a word no platform uses."""
    return _READ.get(value.strip().lower())


def normalise(value: str) -> str:
    """``value`` in the vocabulary; an unknown word unchanged, so whoever needs a status
    can say which word it could not read."""
    return read(value) or value


def jira_deployment_state(value: str) -> str | None:
    """The Deployments API state for a job status, or for one of Jira's own state names."""
    status = read(value)
    if status is not None:
        return JIRA_DEPLOYMENT[status]
    lowered = value.strip().lower()
    known = (*JIRA_DEPLOYMENT.values(), *JIRA_DEPLOYMENT_ONLY)
    return lowered if lowered in known else None
