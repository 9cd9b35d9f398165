"""Job statuses: one vocabulary, each platform's words read into it, each target's out."""

from __future__ import annotations

import pytest

from cibridge.context import job_status
from cibridge.jira import deployments
from cibridge.notify.service import normalise_status


@pytest.mark.parametrize(
    ("word", "status"),
    [*job_status.GITHUB.items(), *job_status.GITLAB.items(), ("Canceled", "cancelled")],
)
def test_every_platform_word_reads_into_the_vocabulary(word: str, status: str) -> None:
    assert job_status.read(word) == status and status in job_status.STATUSES


def test_every_status_has_a_word_for_every_target() -> None:
    assert tuple(job_status.NOTIFY) == tuple(job_status.JIRA_DEPLOYMENT) == job_status.STATUSES


@pytest.mark.parametrize("word", ["skipped", "canceled", "cancelled", "failed", "running"])
def test_a_status_means_the_same_for_notify_and_jira_deployments(word: str) -> None:
    # "skipped" was cancelled for notify and "has no deployment state" for Jira.
    status = normalise_status(word)
    assert deployments.state(word) == job_status.JIRA_DEPLOYMENT[status]


def test_an_unknown_word_is_kept_for_the_error_that_names_it() -> None:
    assert job_status.read("green") is None and job_status.normalise("green") == "green"
    assert job_status.jira_deployment_state("rolled_back") == "rolled_back"
    assert job_status.jira_deployment_state("unknown") is None
