"""One CDEvent: its context (deterministic id, the run's chain, source, type, time) and
subject, and the CloudEvents attributes that carry it (the spec's CloudEvents binding)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SPEC_VERSION = "0.5.1"
# Every type of CDEvents v0.5.1 with its version (the schemas' `type` enums; a test checks
# this table against the schemas shipped in cibridge/events/schemas).
TYPES = {
    "artifact.deleted": "0.2.0",
    "artifact.downloaded": "0.2.0",
    "artifact.packaged": "0.3.0",
    "artifact.published": "0.3.0",
    "artifact.signed": "0.3.0",
    "branch.created": "0.3.0",
    "branch.deleted": "0.3.0",
    "build.finished": "0.3.0",
    "build.queued": "0.3.0",
    "build.started": "0.3.0",
    "change.abandoned": "0.3.0",
    "change.created": "0.4.0",
    "change.merged": "0.3.0",
    "change.reviewed": "0.3.0",
    "change.updated": "0.3.0",
    "environment.created": "0.3.0",
    "environment.deleted": "0.3.0",
    "environment.modified": "0.3.0",
    "incident.detected": "0.3.0",
    "incident.reported": "0.3.0",
    "incident.resolved": "0.3.0",
    "pipelinerun.finished": "0.3.0",
    "pipelinerun.queued": "0.3.0",
    "pipelinerun.started": "0.3.0",
    "repository.created": "0.3.0",
    "repository.deleted": "0.3.0",
    "repository.modified": "0.3.0",
    "service.deployed": "0.3.0",
    "service.published": "0.3.0",
    "service.removed": "0.3.0",
    "service.rolledback": "0.3.0",
    "service.upgraded": "0.3.0",
    "taskrun.finished": "0.3.0",
    "taskrun.started": "0.3.0",
    "testcaserun.finished": "0.3.0",
    "testcaserun.queued": "0.3.0",
    "testcaserun.skipped": "0.2.0",
    "testcaserun.started": "0.3.0",
    "testoutput.published": "0.3.0",
    "testsuiterun.finished": "0.3.0",
    "testsuiterun.queued": "0.3.0",
    "testsuiterun.started": "0.3.0",
    "ticket.closed": "0.2.0",
    "ticket.created": "0.2.0",
    "ticket.updated": "0.2.0",
}
# Fixed for good: every id and chain cibridge ever made is a UUIDv5 in this namespace, so
# the same run, attempt, command and subject give the same id on any machine.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cibridge/cibridge/events")


def full_type(short: str) -> str:
    """``service.deployed`` -> ``dev.cdevents.service.deployed.0.3.0``."""
    return f"dev.cdevents.{short}.{TYPES[short]}"


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def relation(kind: str, target: str) -> dict[str, Any]:
    """A RELATION link to an earlier event (a rollback's ``ROLLBACK`` to the deployment)."""
    return {"linkType": "RELATION", "linkKind": kind, "target": {"contextId": target}}


@dataclass(frozen=True)
class Event:
    type: str  # short: "service.deployed"
    id: str
    source: str
    subject_id: str
    content: Mapping[str, Any]
    chain: str = ""
    timestamp: str = field(
        default_factory=lambda: (
            datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
    )
    links: tuple[Mapping[str, Any], ...] = ()
    subject_source: str = ""
    schema_uri: str = ""
    custom_data: Any = None
    custom_data_content_type: str = ""

    def as_cdevent(self) -> dict[str, Any]:
        context: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": full_type(self.type),
            "timestamp": self.timestamp,
        }
        if self.schema_uri:
            context["schemaUri"] = self.schema_uri
        if self.chain:
            context["chainId"] = self.chain
        if self.links:
            context["links"] = [dict(link) for link in self.links]
        subject: dict[str, Any] = {"id": self.subject_id, "content": dict(self.content)}
        if self.subject_source:
            subject["source"] = self.subject_source
        document: dict[str, Any] = {"context": context, "subject": subject}
        if self.custom_data is not None:
            document["customData"] = self.custom_data
        if self.custom_data_content_type:
            document["customDataContentType"] = self.custom_data_content_type
        return document

    def json(self) -> bytes:
        return json.dumps(self.as_cdevent(), ensure_ascii=False, sort_keys=True).encode()

    def cloudevent_attributes(self) -> dict[str, str]:
        """The CloudEvents context the binding prescribes: specversion 1.0, the CDEvent's
        id, source, type and timestamp, and its subject id as ``subject``."""
        return {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": full_type(self.type),
            "subject": self.subject_id,
            "time": self.timestamp,
        }


class NotACDEvent(ValueError):
    pass


def from_cdevent(document: Any) -> Event:
    """An event read back (from the spool, or one of the spec's conformance examples)."""
    try:
        context, subject = document["context"], document["subject"]
        kind = str(context["type"])
        short = kind.removeprefix("dev.cdevents.").rsplit(".", 3)[0]
        if not kind.startswith("dev.cdevents.") or short not in TYPES:
            raise NotACDEvent(f"{kind[:80]!r} is not a CDEvents {SPEC_VERSION} type")
        return Event(
            type=short,
            id=str(context["id"]),
            source=str(context["source"]),
            subject_id=str(subject["id"]),
            content=dict(subject.get("content") or {}),
            chain=str(context.get("chainId") or ""),
            timestamp=str(context["timestamp"]),
            links=tuple(context.get("links") or ()),
            subject_source=str(subject.get("source") or ""),
            schema_uri=str(context.get("schemaUri") or ""),
            custom_data=document.get("customData"),
            custom_data_content_type=str(document.get("customDataContentType") or ""),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise NotACDEvent(f"not a CDEvent: {type(error).__name__} {error}") from None
