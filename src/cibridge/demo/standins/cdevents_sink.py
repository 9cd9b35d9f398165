"""A CloudEvents HTTP sink (a Knative broker or CDviz stands behind such a URL): takes a
POST in binary mode (``ce-specversion: 1.0`` and the required ``ce-id``, ``ce-source``,
``ce-type`` headers, a JSON body) or structured mode (``application/cloudevents+json``),
refuses anything else with a 400 naming what is wrong, and keeps each CDEvent. An event
whose id it already holds is accepted and not kept twice, as a broker deduplicating ids
would."""

from __future__ import annotations

import json
from typing import Any

from cibridge.demo.standins.server import Answer, Behaviour, Request

REQUIRED = ("id", "source", "type")


class CDEventsSink:
    name = "cdevents"
    prefix = "/cdevents"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour
        self.events: list[dict[str, Any]] = []

    def env(self, base_url: str) -> dict[str, str]:
        return {"CIBRIDGE_EVENTS_URL": f"{base_url}/cdevents/events"}

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        headers = {name.lower(): value for name, value in request.headers.items()}
        kind = headers.get("content-type", "").split(";")[0].strip()
        try:
            body = json.loads(request.raw)
        except ValueError:
            return Answer(400, {"error": "the body is not JSON"})
        if kind == "application/cloudevents+json":
            attributes = body if isinstance(body, dict) else {}
            document = attributes.get("data")
        elif kind == "application/json":
            attributes = {k[3:]: v for k, v in headers.items() if k.startswith("ce-")}
            document = body
        else:
            return Answer(400, {"error": f"content type {kind or '(none)'} is no CloudEvent"})
        problem = _problem(attributes, document)
        if problem:
            return Answer(400, {"error": problem})
        assert isinstance(document, dict)
        if all(e["context"]["id"] != document["context"]["id"] for e in self.events):
            self.events.append(document)
        return Answer(202, b"")


def _problem(attributes: dict[str, Any], document: Any) -> str:
    if attributes.get("specversion") != "1.0":
        return "specversion must be 1.0"
    missing = [name for name in REQUIRED if not attributes.get(name)]
    if missing:
        return f"missing CloudEvents attribute(s): {', '.join(missing)}"
    if not str(attributes["type"]).startswith("dev.cdevents."):
        return f"type {str(attributes['type'])[:60]!r} is no CDEvent"
    context = document.get("context") if isinstance(document, dict) else None
    if not isinstance(context, dict) or not isinstance(document.get("subject"), dict):
        return "the data is no CDEvent (context and subject)"
    if context.get("id") != attributes["id"] or context.get("type") != attributes["type"]:
        return "the CloudEvents id and type differ from the CDEvent's"
    return ""
