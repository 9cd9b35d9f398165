"""Which Jira issue (or released version), or which Azure Boards update, a trigger run is
about, and who said so.

In order: ``--issue KEY``; ``--event-file F`` (a Jira webhook body); the CI event: a GitHub
``repository_dispatch`` whose ``client_payload`` is a Jira webhook body
(``client_payload.issue.key``) or carries ``client_payload.issue_key`` (what a Jira
Automation "Send web request" sends), a ``workflow_dispatch`` with an ``issue_key`` input;
GitLab's trigger variable ``JIRA_ISSUE_KEY`` or the webhook body in ``TRIGGER_PAYLOAD``.

An Azure DevOps Service Hook ``workitem.updated`` body in any of these places is a Boards
update (``cibridge.trigger.boards``). From a Jira payload only the key (or a released
version's name) is taken. Everything a rule
looks at is read from Jira afterwards, so a stale or forged payload cannot deploy what Jira
does not say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.clients.jira.keys import parse_key
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.trigger.boards import WorkItemChange

MAX_BODY = 10 * 1024 * 1024  # Jira webhook bodies are far smaller
VERSION_RELEASED = "jira:version_released"


@dataclass(frozen=True)
class Source:
    keys: tuple[str, ...] = ()
    version: str = ""  # a version's name, from a jira:version_released event
    version_id: str = ""  # and its id, when the event carries it (names repeat per project)
    origin: str = ""  # where the key came from, for the log
    work_item: WorkItemChange | None = None  # an Azure Boards Service Hook delivery

    @property
    def empty(self) -> bool:
        return not self.keys and not self.version and self.work_item is None


def read_body(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            body = handle.read(MAX_BODY + 1)
    except OSError as error:
        raise CibridgeError(
            f"--event-file {path}: cannot be read ({error.strerror or error})",
            hint="pass the file holding the webhook body Jira sent",
        ) from None
    if len(body) > MAX_BODY:
        raise CibridgeError(f"--event-file {path} is larger than {MAX_BODY // 1024 // 1024} MiB")
    return body


def _json(body: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise CibridgeError(
            f"{where} is not JSON", hint="it should hold the body of a Jira webhook"
        ) from None
    if not isinstance(data, dict):
        raise CibridgeError(f"{where} is not a JSON object", hint="a Jira webhook body is one")
    return data


def _key(value: object, where: str) -> str:
    key = parse_key(str(value).strip()) if isinstance(value, str) else None
    if key is None:
        raise CibridgeError(
            f"{where} is not a Jira issue key ({str(value)[:40]!r})",
            hint="send the key as PROJ-123, e.g. the smart value {{issue.key}}",
        )
    return key


def from_webhook(data: Mapping[str, Any], where: str) -> Source:
    """A Jira webhook body (issue events, ``jira:version_released``) or an Automation body
    with ``issue_key``; only the key or version name is kept."""
    if str(data.get("eventType") or "").startswith("workitem."):
        # An Azure DevOps Service Hook delivery (its eventType; Jira's is webhookEvent).
        from dataclasses import replace

        from cibridge.trigger import boards

        origin = f"{where} ({boards.EVENT})"
        change = replace(boards.parse(data, where), origin=origin)
        return Source(origin=origin, work_item=change)
    event = str(data.get("webhookEvent") or "")
    version = data.get("version")
    if event == VERSION_RELEASED and isinstance(version, dict):
        name = str(version.get("name") or "").strip()
        if not name:
            raise CibridgeError(f"{where}: a {VERSION_RELEASED} event without a version name")
        number = str(version.get("id") or "").strip()
        return Source(version=name, version_id=number, origin=f"{where} ({event})")
    issue = data.get("issue")
    if isinstance(issue, dict) and "key" in issue:
        return Source((_key(issue.get("key"), f"{where} issue.key"),), origin=f"{where} issue.key")
    if "issue_key" in data:
        return Source(
            (_key(data.get("issue_key"), f"{where} issue_key"),), origin=f"{where} issue_key"
        )
    raise CibridgeError(
        f"{where} names no issue (no issue.key, issue_key or {VERSION_RELEASED} version)",
        hint='send the Jira webhook body, or {"issue_key": "{{issue.key}}"} from Automation',
    )


def _github(env: Mapping[str, str]) -> Source:
    event = env.get("GITHUB_EVENT_NAME", "")
    path = env.get("GITHUB_EVENT_PATH", "")
    if event not in ("repository_dispatch", "workflow_dispatch") or not path:
        return Source()
    if not Path(path).is_file():
        return Source()
    data = _json(read_body(path), f"the {event} event ({path})")
    if event == "workflow_dispatch":
        inputs = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
        value = (inputs or {}).get("issue_key")
        where = "workflow_dispatch input issue_key"
        return Source((_key(value, where),), origin=where) if value else Source()
    payload = data.get("client_payload")
    if not isinstance(payload, dict):
        raise CibridgeError(
            "repository_dispatch: client_payload is missing or not an object",
            hint='send {"event_type": "jira", "client_payload": {"issue_key": "{{issue.key}}"}}',
        )
    return from_webhook(payload, "repository_dispatch client_payload")


def _gitlab(env: Mapping[str, str]) -> Source:
    if env.get("JIRA_ISSUE_KEY", "").strip():
        return Source((_key(env["JIRA_ISSUE_KEY"], "JIRA_ISSUE_KEY"),), origin="JIRA_ISSUE_KEY")
    payload = env.get("TRIGGER_PAYLOAD", "")
    if not payload.strip():
        return Source()
    # A file variable (its value is a path) on GitLab; some runners pass the text itself.
    body = payload.encode() if payload.lstrip().startswith("{") else read_body(payload)
    return from_webhook(_json(body, "TRIGGER_PAYLOAD"), "TRIGGER_PAYLOAD")


def find(
    issues: list[str], event_body: bytes | None, event_file: str, env: Mapping[str, str]
) -> Source:
    """The first source that names something, in the documented order."""
    if issues:
        keys = tuple(dict.fromkeys(_key(value, f"--issue {value[:40]!r}") for value in issues))
        return Source(keys, origin="--issue")
    if event_body is not None:
        return from_webhook(_json(event_body, f"--event-file {event_file}"), "--event-file")
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env)
    return _gitlab(env)
