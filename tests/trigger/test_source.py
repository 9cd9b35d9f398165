"""Where the issue key comes from, in the documented order; only the key is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.trigger import source


def test_issue_option_comes_first_and_keys_are_normalised() -> None:
    found = source.find(["proj-1", "PROJ-1", "ops-2"], b'{"issue": {"key": "X-9"}}', "f", {})
    assert (found.keys, found.origin) == (("PROJ-1", "OPS-2"), "--issue")


@pytest.mark.parametrize(
    ("body", "keys", "version"),
    [
        ({"webhookEvent": "jira:issue_updated", "issue": {"key": "PROJ-4"}}, ("PROJ-4",), ""),
        ({"issue_key": "proj-4"}, ("PROJ-4",), ""),
        ({"webhookEvent": "jira:version_released", "version": {"name": "v1.2.3"}}, (), "v1.2.3"),
    ],
)
def test_webhook_bodies(body: dict[str, object], keys: tuple[str, ...], version: str) -> None:
    found = source.find([], json.dumps(body).encode(), "event.json", {})
    assert (found.keys, found.version) == (keys, version)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "is not JSON"),
        (b"[1]", "is not a JSON object"),
        (b'{"issue": {"key": "rm -rf /"}}', "is not a Jira issue key"),
        (b'{"hello": 1}', "names no issue"),
    ],
)
def test_bad_bodies_are_usage_errors(body: bytes, message: str) -> None:
    with pytest.raises(CibridgeError, match=message) as raised:
        source.find([], body, "event.json", {})
    assert raised.value.exit_code == 2


def test_github_repository_dispatch_client_payload(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"client_payload": {"issue": {"key": "PROJ-2", "fields": {}}}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "repository_dispatch",
        "GITHUB_EVENT_PATH": str(event),
    }
    found = source.find([], None, "", env)
    assert (found.keys, found.origin) == (
        ("PROJ-2",),
        "repository_dispatch client_payload issue.key",
    )


def test_github_workflow_dispatch_input(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"inputs": {"issue_key": "ops-3"}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
    }
    assert source.find([], None, "", env).keys == ("OPS-3",)


def test_gitlab_variable_then_trigger_payload_file(tmp_path: Path) -> None:
    assert source.find([], None, "", {"JIRA_ISSUE_KEY": "proj-5"}).keys == ("PROJ-5",)
    payload = tmp_path / "payload"
    payload.write_text(json.dumps({"issue": {"key": "PROJ-6"}}))
    found = source.find([], None, "", {"TRIGGER_PAYLOAD": str(payload)})
    assert (found.keys, found.origin) == (("PROJ-6",), "TRIGGER_PAYLOAD issue.key")
    inline = source.find([], None, "", {"TRIGGER_PAYLOAD": '{"issue_key": "PROJ-7"}'})
    assert inline.keys == ("PROJ-7",)


def test_nothing_named_is_empty() -> None:
    assert source.find([], None, "", {}).empty
