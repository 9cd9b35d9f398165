"""CDEvents as the spec publishes them: every type of v0.5.1 with its version, the
conformance examples read and written back unchanged, deterministic ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.events import schemas
from cibridge.events.model import (
    TYPES,
    Event,
    NotACDEvent,
    from_cdevent,
    full_type,
    relation,
    stable_id,
)
from tests.conftest import FIXTURES

CONFORMANCE = sorted((FIXTURES / "cdevents" / "conformance").glob("*.json"))


def test_the_type_table_is_the_schemas_types() -> None:
    found = {}
    for path in schemas.FOLDER.glob("*.json"):
        [kind] = json.loads(path.read_text())["properties"]["context"]["properties"]["type"]["enum"]
        short, version = kind.removeprefix("dev.cdevents.").rsplit(".", 3)[0], kind.split(".", 4)[4]
        found[short] = version
    assert found == TYPES
    assert len(CONFORMANCE) == 45 and all(full_type(k).endswith(v) for k, v in TYPES.items())


@pytest.mark.parametrize("path", CONFORMANCE, ids=lambda p: p.stem)
def test_each_conformance_example_round_trips_and_validates(path: Path) -> None:
    document = json.loads(path.read_text())
    event = from_cdevent(document)
    assert event.as_cdevent() == document
    assert schemas.problems(document, event.type) == []


def test_a_made_event_validates_and_carries_its_cloudevents_context() -> None:
    event = Event(
        type="service.rolledback",
        id=stable_id("run", "1", "gate"),
        source="https://github.com/acme/checkout/actions/runs/7",
        subject_id="production/pkg:generic/checkout@1.5.0",
        content={"environment": {"id": "production"}, "artifactId": "pkg:generic/checkout@1.5.0"},
        chain=stable_id("chain", "run"),
        links=(relation("ROLLBACK", stable_id("deployed")),),
    )
    assert schemas.problems(event.as_cdevent(), event.type) == []
    attributes = event.cloudevent_attributes()
    assert attributes == {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": "dev.cdevents.service.rolledback.0.3.0",
        "subject": event.subject_id,
        "time": event.timestamp,
    }
    assert event.timestamp.endswith("Z")
    assert from_cdevent(json.loads(event.json())) == event


def test_ids_are_the_same_for_the_same_parts_only() -> None:
    assert stable_id("a", "1") == stable_id("a", "1")
    assert stable_id("a", "1") != stable_id("a", "2")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert stable_id("ab", "c") != stable_id("a", "bc")


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"context": {"type": "dev.cdevents.service.deployed.0.3.0"}, "subject": {}},
        {"context": {"type": "dev.cdevents.nothing.happened.0.1.0", "id": "1"}, "subject": {}},
        ["not", "an", "object"],
    ],
)
def test_what_is_not_a_cdevent_is_refused(document: object) -> None:
    with pytest.raises(NotACDEvent):
        from_cdevent(document)


def test_a_schema_violation_names_the_field() -> None:
    from cibridge.core.errors import CibridgeError

    event = Event(type="service.deployed", id="1", source="/x", subject_id="s", content={})
    with pytest.raises(CibridgeError, match="'artifactId' is a required property"):
        schemas.check(event)
