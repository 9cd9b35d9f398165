"""The CloudEvents sink stand-in refuses what a CloudEvents receiver refuses, naming it."""

from __future__ import annotations

import json

import pytest

from cibridge.demo.standins import CDEventsSink, StandIns
from cibridge.http.transport import HttpSettings, Transport

DOCUMENT = {
    "context": {"id": "1", "type": "dev.cdevents.ticket.updated.0.2.0", "source": "/s"},
    "subject": {"id": "PROJ-1", "content": {"uri": "https://x/browse/PROJ-1"}},
}
BINARY = {
    "ce-specversion": "1.0",
    "ce-id": "1",
    "ce-source": "/s",
    "ce-type": DOCUMENT["context"]["type"],
}


def post(headers: dict[str, str], body: bytes) -> tuple[int, str, CDEventsSink]:
    with StandIns((CDEventsSink,)) as stand_ins, Transport(HttpSettings(retries=0)) as http:
        answer = http.request(
            "POST", stand_ins.env()["CIBRIDGE_EVENTS_URL"], data=body, headers=headers, what="sink"
        )
        sink = next(s for s in stand_ins.services if isinstance(s, CDEventsSink))
        return answer.status, answer.text, sink


def test_a_binary_event_is_kept_once() -> None:
    headers = {**BINARY, "Content-Type": "application/json"}
    status, _text, sink = post(headers, json.dumps(DOCUMENT).encode())
    assert status == 202 and sink.events == [DOCUMENT]


@pytest.mark.parametrize(
    ("headers", "body", "said"),
    [
        (
            {**BINARY, "ce-specversion": "0.3", "Content-Type": "application/json"},
            DOCUMENT,
            "specversion must be 1.0",
        ),
        (
            {"ce-specversion": "1.0", "Content-Type": "application/json"},
            DOCUMENT,
            "missing CloudEvents attribute(s): id, source, type",
        ),
        (
            {**BINARY, "ce-type": "com.example.other", "Content-Type": "application/json"},
            DOCUMENT,
            "is no CDEvent",
        ),
        (
            {**BINARY, "ce-id": "2", "Content-Type": "application/json"},
            DOCUMENT,
            "differ from the CDEvent's",
        ),
        (
            {**BINARY, "Content-Type": "text/plain"},
            DOCUMENT,
            "content type text/plain is no CloudEvent",
        ),
        ({**BINARY, "Content-Type": "application/json"}, {"context": {}}, "the data is no CDEvent"),
    ],
)
def test_what_is_no_cloudevent_is_a_400_naming_why(
    headers: dict[str, str], body: object, said: str
) -> None:
    status, text, sink = post(headers, json.dumps(body).encode())
    assert status == 400 and said in text and sink.events == []
