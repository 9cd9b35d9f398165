"""Links, versions, issue edits and entity properties.

Remote links upsert by ``globalId``; issue links accept duplicates silently (Jira keeps
one); versions are unique by name within a project; an entity property holds at most
32,768 characters of JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.jira_auth import JIRA_EMAIL
from cibridge.demo.standins.jira_issues import Call, by_key_or_id, obj, version_json
from cibridge.demo.standins.jira_seed import LINK_TYPES
from cibridge.demo.standins.jira_state import IssueLink, Project, RemoteLink, Version
from cibridge.demo.standins.jira_transitions import PROPERTY_LIMIT, now
from cibridge.demo.standins.server import Answer

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _link_json(call: Call, key: str, link: RemoteLink) -> dict[str, Any]:
    found = {"id": link.id, "self": call.url(f"issue/{key}/remotelink/{link.id}"), **link.data}
    if link.global_id is not None:
        found["globalId"] = link.global_id
    return found


def list_remote_links(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    return err.answer(200, [_link_json(call, issue.key, link) for link in issue.remote_links])


def remote_link(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    if issue.project in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["link"])
    body = obj(call.body)
    target = obj(body.get("object"))
    missing = {name: f"'{name}' is required." for name in ("title", "url") if not target.get(name)}
    if missing:
        return err.field_errors(missing)
    global_id = body.get("globalId")
    if isinstance(global_id, str) and len(global_id) > 255:
        return err.field_errors({"globalId": err.GLOBAL_ID_TOO_LONG})
    data = {k: v for k, v in body.items() if k != "globalId"}
    for link in issue.remote_links:
        if global_id is not None and link.global_id == global_id:
            link.data = data  # the whole object is replaced, so stale fields do not linger
            return err.answer(
                200, {"id": link.id, "self": _link_json(call, issue.key, link)["self"]}
            )
    link = RemoteLink(call.state.next_id(), global_id, data)
    issue.remote_links.append(link)
    return err.answer(201, {"id": link.id, "self": _link_json(call, issue.key, link)["self"]})


def issue_link(call: Call) -> Answer:
    body = obj(call.body)
    kind = obj(body.get("type"))
    name = str(kind.get("name") or "")
    if name not in LINK_TYPES:
        return err.messages(404, err.NO_LINK_TYPE.format(name=name))
    ends = []
    for side in ("inwardIssue", "outwardIssue"):
        ref = obj(body.get(side))
        issue = by_key_or_id(call.state, str(ref.get("key") or ref.get("id") or ""))
        if issue is None:
            return err.not_found()
        if issue.project in call.knobs.forbidden:
            return err.messages(404, err.FORBIDDEN["link"])  # this operation has no 403
        ends.append(issue.key)
    inward, outward = ends
    duplicate = any(
        (link.type, link.inward, link.outward) == (name, inward, outward)
        for link in call.state.links
    )
    if not duplicate:
        call.state.links.append(IssueLink(str(call.state.next_id()), name, inward, outward))
    return Answer(201, b"")


def _project(call: Call, key_or_id: str) -> Project | None:
    for project in call.state.projects.values():
        if project.visible and key_or_id.upper() in (project.key, str(project.id)):
            return project
    return None


def list_versions(call: Call) -> Answer:
    project = _project(call, call.path[0])
    if project is None:
        return err.messages(404, err.NO_PROJECT.format(key=call.path[0]))
    versions = call.state.versions_of(project)
    return err.answer(200, [version_json(call, v) for v in versions])


def _version_errors(call: Call, project: Project, body: dict[str, Any], own: str) -> dict[str, str]:
    errors = {}
    name = body.get("name")
    if name is not None or not own:
        taken = {v.name.casefold() for v in call.state.versions_of(project) if v.id != own}
        if not isinstance(name, str) or not name.strip():
            errors["name"] = err.VERSION_NAME_MISSING
        elif name.casefold() in taken:
            errors["name"] = err.VERSION_EXISTS
    date = body.get("releaseDate")
    if date is not None and not (isinstance(date, str) and _DATE.fullmatch(date)):
        errors["releaseDate"] = "Please enter the date in the following format: yyyy-MM-dd"
    return errors


def create_version(call: Call) -> Answer:
    body = obj(call.body)
    ref = body.get("projectId", body.get("project"))
    project = _project(call, str(ref or ""))
    if project is None:
        return err.messages(404, err.NO_PROJECT_ID.format(id=ref))
    if project.key in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["version"])
    errors = _version_errors(call, project, body, own="")
    if errors:
        return err.field_errors(errors)
    version = Version(str(call.state.next_id()), str(body["name"]), project.id)
    _apply(version, body)
    call.state.versions[version.id] = version
    return err.answer(201, version_json(call, version))


def _apply(version: Version, body: dict[str, Any]) -> None:
    version.name = str(body.get("name", version.name))
    version.released = bool(body.get("released", version.released))
    version.release_date = body.get("releaseDate", version.release_date)
    version.archived = bool(body.get("archived", version.archived))
    version.description = str(body.get("description", version.description) or "")


def update_version(call: Call) -> Answer:
    version = call.state.versions.get(call.path[0])
    project = next(
        (p for p in call.state.projects.values() if version and p.id == version.project_id), None
    )
    if version is None or project is None or not project.visible:
        return err.messages(404, err.NO_VERSION.format(id=call.path[0]))
    if project.key in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["version"])
    body = obj(call.body)
    errors = _version_errors(call, project, body, own=version.id)
    if errors:
        return err.field_errors(errors)
    _apply(version, body)
    return err.answer(200, version_json(call, version))


def _version_ref(call: Call, project: Project, ref: Any) -> Version | None:
    if not isinstance(ref, dict):
        return None
    for version in call.state.versions_of(project):
        if ref.get("id") == version.id or ref.get("name") == version.name:
            return version
    return None


def _merge(current: list[str], given: list[str], verb: str) -> list[str]:
    if verb == "set":
        return list(dict.fromkeys(given))
    if verb == "add":
        return current + [v for v in given if v not in current]
    return [v for v in current if v not in given]


def edit_issue(call: Call) -> Answer:
    """PUT issue: fix versions, labels and summary, by ``fields`` (set) or ``update`` ops."""
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    if issue.project in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["edit"])
    body = obj(call.body)
    fields = obj(body.get("fields"))
    update = obj(body.get("update"))
    operations: list[tuple[str, str, Any]] = [(n, "set", v) for n, v in fields.items()]
    for name, ops in update.items():
        for op in ops if isinstance(ops, list) else []:
            operations += (
                [(name, verb, value) for verb, value in op.items()] if isinstance(op, dict) else []
            )
    errors = {
        name: err.NOT_ON_SCREEN.format(field=name)
        for name, _, _ in operations
        if name not in ("fixVersions", "labels", "summary")
    }
    for name, verb, _ in operations:
        if verb not in ("add", "set", "remove") or (name == "summary" and verb != "set"):
            errors[name] = f"Field '{name}' does not support operation '{verb}'"  # assumed
    if errors:
        return err.field_errors(errors)
    project = call.state.project_of(issue)
    versions, labels, summary = list(issue.fix_versions), list(issue.labels), issue.summary
    for name, verb, value in operations:
        if name == "summary":
            summary = str(value)
            continue
        items = value if verb == "set" and isinstance(value, list) else [value]
        if name == "labels":
            labels = _merge(labels, [str(v) for v in items], verb)
            continue
        chosen = []
        for ref in items:
            version = _version_ref(call, project, ref)
            if version is None:
                label = ref.get("name", ref.get("id")) if isinstance(ref, dict) else ref
                return err.field_errors({"fixVersions": err.VERSION_NOT_VALID.format(name=label)})
            chosen.append(version.id)
        versions = _merge(versions, chosen, verb)
    issue.fix_versions, issue.labels, issue.summary = versions, labels, summary
    issue.updated = now()
    return Answer(204, b"")


def get_property(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    name = call.path[1]
    if name not in issue.properties:
        return err.messages(404, err.PROPERTY_MISSING.format(key=name))
    return err.answer(200, {"key": name, "value": issue.properties[name]})


def set_property(call: Call) -> Answer:
    issue = by_key_or_id(call.state, call.path[0])
    if issue is None:
        return err.not_found()
    if issue.project in call.knobs.forbidden:
        return err.messages(403, err.FORBIDDEN["edit"])
    name = call.path[1]
    if len(name) > 255:
        return err.messages(400, err.PROPERTY_KEY_TOO_LONG)
    try:
        value = json.loads(call.raw)
    except ValueError:
        return err.messages(400, err.PROPERTY_EMPTY)
    if len(call.raw.decode("utf-8", "replace")) > PROPERTY_LIMIT:
        return err.messages(400, err.PROPERTY_TOO_LONG)
    created = name not in issue.properties
    issue.properties[name] = value
    return Answer(201 if created else 200, b"")


def server_info(call: Call) -> Answer:
    """``GET /serverInfo``, shaped as Jira Cloud answers it (Data Center's has the same keys)."""
    cloud = call.knobs.deployment_type == "Cloud"
    return err.answer(
        200,
        {
            "baseUrl": call.base,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 15],
            "deploymentType": call.knobs.deployment_type,
            "buildNumber": 100289 if cloud else 9120015,
            "serverTitle": "Jira",
        },
    )


def myself(call: Call, who: str) -> Answer:
    return err.answer(
        200,
        {
            "self": call.url("myself"),
            "accountId": "557058:standin-ci",
            "accountType": "app" if who == "oauth" else "atlassian",
            "emailAddress": JIRA_EMAIL,
            "displayName": "cibridge CI",
            "active": True,
        },
    )
