"""Workflow transitions and comments: the two writes whose rules Jira enforces hardest.

A transition must be available from the issue's current status (and to this account);
every field sent must be on its screen, every required one present, every value one the
field allows. Comments are ADF on v3 and wiki-markup strings on v2.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.jira_issues import Call, by_key_or_id, obj
from cibridge.demo.standins.jira_seed import RESOLUTIONS, STATUSES, status_json
from cibridge.demo.standins.jira_spec import adf_problems
from cibridge.demo.standins.jira_state import Comment, Field, Issue, Transition
from cibridge.demo.standins.server import Answer

TEXT_LIMIT = 32_767  # characters in a comment (observed: "exceeds the allowed limit")
PROPERTY_LIMIT = 32_768  # characters in an entity property's JSON value


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def available(call: Call, issue: Issue) -> list[Transition]:
    if not call.state.project_of(issue).can_transition:
        return []  # what Jira answers to an account without the Transition permission
    return [t for t in call.state.transitions if issue.status in t.sources]


def _resolution(value: dict[str, Any]) -> str | None:
    """The resolution a ``{"name"}`` or ``{"id"}`` object picks, if it exists."""
    if "name" in value:
        return str(value["name"]) if value["name"] in RESOLUTIONS else None
    ids = {str(10000 + i): name for i, name in enumerate(RESOLUTIONS)}
    return ids.get(str(value.get("id")))


def _transition_json(call: Call, transition: Transition, with_fields: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "id": transition.id,
        "name": transition.name,
        "to": status_json(transition.to, call.base),
        "hasScreen": bool(transition.screen),
        "isGlobal": False,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "isLooped": False,
    }
    if with_fields:
        described["fields"] = {f.id: f.meta(call.base) for f in transition.screen}
    return described


def list_transitions(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    with_fields = "transitions.fields" in call.param("expand").split(",")
    only = call.param("transitionId")
    found = [t for t in available(call, issue) if not only or t.id == only]
    return err.answer(
        200,
        {
            "expand": "transitions",
            "transitions": [_transition_json(call, t, with_fields) for t in found],
        },
    )


def _value_error(field: Field, value: Any) -> str:
    """Why Jira would refuse ``value`` for ``field``; empty when it is fine."""
    kind = field.schema.get("type")
    if kind == "resolution":
        if not isinstance(value, dict) or not ({"name", "id"} & set(value)):
            return "Could not find valid 'id' or 'name' in resolution object."  # assumed
        if _resolution(value) is None:
            return f"Resolution '{value.get('name', value.get('id'))}' is not valid"  # assumed
        return ""
    if kind == "array" and field.schema.get("items") == "option":
        if not isinstance(value, list):
            return f"Operation value must be an array for field '{field.id}'"  # assumed
        for item in value:
            # Options are chosen by "value" or "id"; {"name": ...} is not an option.
            if not isinstance(item, dict) or not ({"value", "id"} & set(item)):
                return "Option id 'null' is not valid"  # assumed
            ids = [str(10100 + i) for i in range(len(field.allowed))]  # as Field.meta lists them
            if "id" in item and str(item["id"]) not in ids:
                return f"Option id '{item['id']}' is not valid"  # assumed
            if "id" not in item and item["value"] not in field.allowed:
                return f"Option value '{item['value']}' is not valid"  # observed
        return ""
    if kind == "string" and not isinstance(value, str):
        return "Operation value must be a string"  # observed
    return ""


def transition(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    if issue.project in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["transition"])
    body = obj(call.body)
    wanted = body.get("transition")
    if not isinstance(wanted, dict) or not wanted.get("id"):
        return err.messages(400, err.TRANSITION_MISSING)
    chosen = next((t for t in available(call, issue) if t.id == str(wanted["id"])), None)
    if chosen is None:
        return err.messages(400, err.TRANSITION_NOT_VALID.format(id=wanted["id"]))
    fields = obj(body.get("fields"))
    update = obj(body.get("update"))
    screen = {f.id: f for f in chosen.screen}
    errors = {
        name: err.NOT_ON_SCREEN.format(field=name)
        for name in [*fields, *update]
        if name not in screen and name != "comment"
    }
    if errors:
        return err.field_errors(errors)
    for field in screen.values():
        if field.id in fields:
            refused = _value_error(field, fields[field.id])
            if refused:
                errors[field.id] = refused
        elif field.required and field.id not in update:
            errors[field.id] = err.REQUIRED.format(name=field.name)
    ops = update.get("comment") if isinstance(update.get("comment"), list) else []
    comments = [obj(op).get("add") for op in ops or []]
    for added in comments:
        problem = _body_error(call, obj(added).get("body"))
        if problem is not None:
            return problem
    if errors:
        return err.field_errors(errors)
    issue.status = chosen.to
    if STATUSES[chosen.to][1] != "done":
        issue.resolution = None  # reopening clears it, as Jira's workflows do
    elif "resolution" in fields:
        issue.resolution = _resolution(fields["resolution"])
    for name, value in fields.items():
        if name != "resolution":
            issue.custom[name] = value
    for added in comments:
        _store(call, issue, obj(added)["body"], [])
    issue.updated = now()
    return Answer(204, b"")


def _body_error(call: Call, body: Any) -> Answer | None:
    if call.api >= 3:
        if not isinstance(body, dict) or adf_problems(call.state.specs, body):
            return err.field_errors({"comment": err.COMMENT_NOT_VALID})
        if not body.get("content"):
            return err.field_errors({"comment": err.COMMENT_EMPTY})
        text = str(body)
    else:
        if isinstance(body, (dict, list)):
            return err.messages(400, err.V2_NOT_A_STRING)
        if not isinstance(body, str) or not body.strip():
            return err.field_errors({"comment": err.COMMENT_EMPTY})
        text = body
    if len(text) > TEXT_LIMIT:
        return err.field_errors({"comment": err.TOO_LONG})
    return None


def _store(call: Call, issue: Issue, body: Any, properties: list[dict[str, Any]]) -> Comment:
    comment = Comment(
        str(call.state.next_id()), body, {p["key"]: p.get("value") for p in properties}, now()
    )
    issue.comments.append(comment)
    return comment


def comment_json(
    call: Call, issue: Issue, comment: Comment, with_properties: bool
) -> dict[str, Any]:
    author = {"accountId": "557058:standin-ci", "displayName": "cibridge CI", "active": True}
    described: dict[str, Any] = {
        "self": call.url(f"issue/{issue.id}/comment/{comment.id}"),
        "id": comment.id,
        "author": author,
        "body": comment.body,
        "updateAuthor": author,
        "created": comment.created,
        "updated": comment.created,
        "jsdPublic": True,
    }
    if with_properties:
        described["properties"] = [{"key": k, "value": v} for k, v in comment.properties.items()]
    return described


def list_comments(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    try:
        start = int(call.param("startAt", "0"))
        size = int(call.param("maxResults", "100" if call.api >= 3 else "5000"))
    except ValueError:
        return err.messages(400, "startAt and maxResults must be numbers")
    ordered = list(issue.comments)
    if call.param("orderBy") == "-created":
        ordered.reverse()
    with_properties = "properties" in call.param("expand").split(",")
    page = [comment_json(call, issue, c, with_properties) for c in ordered[start : start + size]]
    return err.answer(
        200, {"startAt": start, "maxResults": size, "total": len(ordered), "comments": page}
    )


def add_comment(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    if issue.project in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["comment"])
    body = obj(call.body)
    problem = _body_error(call, body.get("body"))
    if problem is not None:
        return problem
    properties = body.get("properties") or []
    if not isinstance(properties, list) or not all(
        isinstance(p, dict) and isinstance(p.get("key"), str) and p["key"] for p in properties
    ):
        return err.messages(400, "Comment properties must be a list of {key, value} objects")
    for prop in properties:
        if len(prop["key"]) > 255:
            return err.messages(400, err.PROPERTY_KEY_TOO_LONG)
        if len(_json(prop.get("value"))) > PROPERTY_LIMIT:
            return err.messages(400, err.PROPERTY_TOO_LONG)
    comment = _store(call, issue, body["body"], properties)
    issue.updated = comment.created
    return err.answer(201, comment_json(call, issue, comment, with_properties=False))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
