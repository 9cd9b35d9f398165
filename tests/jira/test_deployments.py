"""Recording deployments in Jira Software: types, states, sequence numbers and the payload."""

from __future__ import annotations

import pytest

from cibridge.context.model import Context
from cibridge.core.errors import CibridgeError
from cibridge.jira import deployments


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("production", "production"),
        ("prod-eu", "production"),
        ("Live", "production"),
        ("staging", "staging"),
        ("preprod", "staging"),  # not production, although it contains "prod"
        ("pre-prod", "staging"),
        ("UAT", "staging"),
        ("qa", "testing"),
        ("integration-test", "testing"),
        ("dev", "development"),
        ("review/feature-x", "development"),
        ("canary", "unmapped"),
    ],
)
def test_the_environment_type_follows_the_name(name: str, kind: str) -> None:
    assert deployments.environment_type(name) == kind


def test_a_configured_type_wins_and_must_be_one_jira_knows() -> None:
    assert deployments.environment_type("Canary", {"canary": "production"}) == "production"
    with pytest.raises(CibridgeError, match="'prd' for 'canary' is not one of"):
        deployments.environment_type("canary", {"canary": "prd"})


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("success", "successful"),
        ("failure", "failed"),
        ("failed", "failed"),  # GitLab's CI_JOB_STATUS
        ("canceled", "cancelled"),  # GitLab's spelling
        ("Cancelled", "cancelled"),
        ("running", "in_progress"),
        ("rolled_back", "rolled_back"),
    ],
)
def test_job_statuses_become_deployment_states(status: str, state: str) -> None:
    assert deployments.state(status) == state


def test_an_unknown_status_is_a_usage_error_listing_the_choices() -> None:
    with pytest.raises(CibridgeError, match="has no deployment state") as error:
        deployments.state("green")
    assert "success, failure" in error.value.hint


def _context(**fields: str) -> Context:
    values = {
        "platform": "github",
        "repository": "acme/shop",
        "repository_url": "https://github.com/acme/shop",
        "workflow": "deploy",
        "run_id": "9001",
        "run_url": "https://github.com/acme/shop/actions/runs/9001",
        "environment": "production",
        "sha": "0123456789abcdef0123",
        **fields,
    }
    return Context(**values)  # type: ignore[arg-type]


def test_the_run_id_is_the_sequence_number_and_the_time_the_update_number() -> None:
    deployment = deployments.from_context(_context(version="1.4.0"), "success")
    body = deployments.payload(deployment, ["PROJ-1", "OPS-2"], now=1_700_000_000.5)
    (sent,) = body["deployments"]
    assert sent["deploymentSequenceNumber"] == 9001
    assert sent["updateSequenceNumber"] == 1_700_000_000_500
    assert sent["lastUpdated"] == "2023-11-14T22:13:20Z"
    assert sent["state"] == "successful" and sent["label"] == "1.4.0"
    assert sent["environment"] == {
        "id": "production",
        "displayName": "production",
        "type": "production",
    }
    assert sent["pipeline"]["id"] == "acme/shop deploy"
    assert sent["url"] == "https://github.com/acme/shop/actions/runs/9001"
    assert sent["associations"] == [
        {"associationType": "issueIdOrKeys", "values": ["PROJ-1", "OPS-2"]}
    ]
    # A re-run of the same run is the same deployment, updated later: never an older one.
    later = deployments.payload(deployment, ["PROJ-1"], now=1_700_000_060.0)["deployments"][0]
    assert later["deploymentSequenceNumber"] == 9001
    assert later["updateSequenceNumber"] > sent["updateSequenceNumber"]


def test_long_names_are_cut_to_the_api_limit() -> None:
    deployment = deployments.from_context(_context(workflow="w" * 400), "success")
    (sent,) = deployments.payload(deployment, ["PROJ-1"])["deployments"]
    assert len(sent["pipeline"]["id"]) == len(sent["displayName"]) == 255


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"environment": ""}, "no environment to record"),
        ({"run_url": "", "repository_url": ""}, "has no URL"),
    ],
)
def test_what_a_deployment_cannot_do_without(fields: dict[str, str], message: str) -> None:
    with pytest.raises(CibridgeError, match=message):
        deployments.from_context(_context(**fields), "success")


def test_without_a_numeric_run_id_the_sequence_is_the_time() -> None:
    deployment = deployments.from_context(_context(run_id=""), "success", now=1234.9)
    assert deployment.sequence == 1234


@pytest.mark.parametrize(
    ("base", "cloud_id", "configured", "url"),
    [
        (
            "https://acme.atlassian.net",
            "",
            "",
            "https://acme.atlassian.net/rest/deployments/0.1/bulk",
        ),
        (
            "https://acme.atlassian.net/",
            "abc-123",
            "",
            "https://api.atlassian.com/jira/deployments/0.1/cloud/abc-123/bulk",
        ),
        ("https://acme.atlassian.net", "abc", "https://proxy/x", "https://proxy/x"),
    ],
)
def test_where_deployments_are_sent(base: str, cloud_id: str, configured: str, url: str) -> None:
    assert deployments.endpoint(base, cloud_id, configured) == url


class _Answering:
    """A JiraClient that answers every call with one body."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.sent: list[object] = []

    def call(self, method: str, url: str, *, what: str, json: object) -> object:
        self.sent.append(json)
        return self.answer


def _submit(answer: object, keys: list[str]) -> deployments.Outcome:
    from typing import cast

    from cibridge.clients.jira import JiraClient

    deployment = deployments.from_context(_context(), "success")
    client = cast(JiraClient, _Answering(answer))
    return deployments.submit(client, "https://x/rest/deployments/0.1/bulk", deployment, keys)


def test_a_rejection_inside_the_202_is_a_failure_with_jiras_reasons() -> None:
    from cibridge.clients.jira import JiraError

    answer = {
        "acceptedDeployments": [],
        "rejectedDeployments": [{"key": {}, "errors": [{"message": "url must be absolute"}]}],
    }
    with pytest.raises(JiraError, match="rejected the deployment: url must be absolute") as error:
        _submit(answer, ["PROJ-1"])
    assert error.value.exit_code == 1


def test_unknown_keys_are_reported_not_fatal_and_keys_are_capped_at_500() -> None:
    outcome = _submit({"unknownIssueKeys": ["UTF-8"]}, [f"P-{n}" for n in range(1, 600)])
    assert outcome.accepted and outcome.unknown_keys == ["UTF-8"]
    with pytest.raises(CibridgeError, match="no issue to record it on"):
        _submit({}, [])


def test_at_most_500_keys_are_sent() -> None:
    client = _Answering({})
    from typing import cast

    from cibridge.clients.jira import JiraClient

    deployment = deployments.from_context(_context(), "success")
    keys = [f"P-{n}" for n in range(1, 600)]
    deployments.submit(cast(JiraClient, client), "https://x/bulk", deployment, keys)
    (body,) = client.sent
    assert isinstance(body, dict)
    assert len(body["deployments"][0]["associations"][0]["values"]) == 500
