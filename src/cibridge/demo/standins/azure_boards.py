"""Azure Boards (work item tracking, API 7.1): a stateful stand-in under ``/azure-devops``.

It keeps work items (fields, relations, revisions, comments, history) for one organization
and project, checks every request against Microsoft's published description of the
operations (:mod:`azure_boards_spec`), applies JSON Patch documents the way Azure DevOps
does (``test /rev`` first, a state must be one of its type's, the process's required
fields, one relation per URL), and answers with Azure DevOps' own error bodies
(:mod:`azure_boards_errors`). Faults are turned on through :attr:`AzureBoards.knobs`; tests
read what happened through :meth:`AzureBoards.item`, never through HTTP.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

from cibridge.demo.standins import azure_boards_errors as err
from cibridge.demo.standins import azure_boards_spec as spec
from cibridge.demo.standins.server import Answer, Behaviour, Request

ORGANIZATION = "fabrikam"
PROJECT = "Fabrikam-Fiber"
PROJECT_ID = "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"  # the recorded examples' project id
AZURE_DEVOPS_PAT = "standin-azure-devops-pat-1x9"
AZURE_DEVOPS_BEARER = "standin-entra-id-token-7q2"
MAX_BATCH = 200

# States per type with their categories: Agile's User Story, the Basic/Scrum Task (its
# Completed state is Done) and the Bug of Microsoft's recorded example
# (examples/workItemTypeStates/GET__workitem_type_states.json, CustomState included).
STATES: dict[str, list[tuple[str, str]]] = {
    "User Story": [
        ("New", "Proposed"),
        ("Active", "InProgress"),
        ("Resolved", "Resolved"),
        ("Closed", "Completed"),
        ("Removed", "Removed"),
    ],
    "Task": [("To Do", "Proposed"), ("Doing", "InProgress"), ("Done", "Completed")],
    "Bug": [
        ("New", "Proposed"),
        ("Active", "InProgress"),
        ("CustomState", "InProgress"),
        ("Resolved", "Resolved"),
        ("Closed", "Completed"),
    ],
}
_COLORS = {
    "Proposed": "b2b2b2",
    "InProgress": "007acc",
    "Resolved": "ff9d00",
    "CustomState": "5688E0",
}


@dataclass
class Item:
    id: int
    rev: int
    fields: dict[str, Any]
    relations: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BoardsKnobs:
    concurrent_edits: dict[int, int] = field(default_factory=dict)  # id -> PATCHes raced
    link_races: dict[int, str] = field(default_factory=dict)  # id -> a URL already linked
    required: dict[tuple[str, str], str] = field(default_factory=dict)  # (type, state) -> field
    forbidden: set[int] = field(default_factory=set)  # readable, not writable
    throttle_next: int = 0
    retry_after: str = "1"
    markdown_comments: bool = True  # False: an older server without the comments API
    sign_in_status: int = 401  # what a bad credential gets: 401, or 203 with the page


@dataclass(frozen=True)
class ItemView:
    id: int
    rev: int
    type: str
    state: str
    title: str
    tags: list[str]
    relations: list[dict[str, Any]]
    comments: list[str]  # texts, oldest first
    history: list[str]  # System.History entries, oldest first


class AzureBoards:
    name = "azure_boards"
    prefix = "/azure-devops"

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.knobs = BoardsKnobs()
        self.tokens = {AZURE_DEVOPS_PAT, AZURE_DEVOPS_BEARER}
        self.lock = threading.RLock()  # _route holds it while it may reject
        self.items: dict[int, Item] = {}
        self.spec_rejections: list[str] = []
        self.next_id = 100
        self.next_comment = 1
        for title, kind, state in (
            ("Checkout shows the total", "User Story", "Active"),
            ("Write the cart tests", "Task", "Doing"),
            ("Empty carts crash", "Bug", "Active"),
        ):
            self.add(kind, title, state)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "AZURE_DEVOPS_URL": base_url + self.prefix,
            "AZURE_DEVOPS_ORG": ORGANIZATION,
            "AZURE_DEVOPS_PROJECT": PROJECT,
            "AZURE_DEVOPS_EXT_PAT": AZURE_DEVOPS_PAT,
        }

    # -- for tests ------------------------------------------------------------------------

    def add(self, kind: str, title: str, state: str = "", tags: Sequence[str] = ()) -> int:
        """A new work item; returns its id (100, 101, … in order)."""
        with self.lock:
            number = self.next_id
            self.next_id += 1
            fields = {
                "System.Id": number,
                "System.TeamProject": PROJECT,
                "System.AreaPath": PROJECT,
                "System.WorkItemType": kind,
                "System.State": state or STATES[kind][0][0],
                "System.Title": title,
            }
            if tags:
                fields["System.Tags"] = "; ".join(tags)
            self.items[number] = Item(number, 1, fields)
            return number

    def item(self, number: int) -> ItemView:
        with self.lock:
            found = self.items[number]
            return ItemView(
                found.id,
                found.rev,
                str(found.fields.get("System.WorkItemType")),
                str(found.fields.get("System.State")),
                str(found.fields.get("System.Title")),
                [
                    t.strip()
                    for t in str(found.fields.get("System.Tags", "")).split(";")
                    if t.strip()
                ],
                copy.deepcopy(found.relations),
                [c["text"] for c in found.comments],
                [
                    u["fields"]["System.History"]["newValue"]
                    for u in found.updates
                    if "System.History" in u.get("fields", {})
                ],
            )

    def edit(self, number: int, **fields: Any) -> None:
        """Someone else's change in the browser: fields set, a new revision."""
        with self.lock:
            found = self.items[number]
            found.fields.update(fields)
            found.rev += 1

    # -- HTTP -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        path = request.path[len(self.prefix) :]
        if not self._signed_in(request.headers):
            return err.sign_in(self.knobs.sign_in_status)
        with self.lock:
            if self.knobs.throttle_next > 0:
                self.knobs.throttle_next -= 1
                return err.throttled(self.knobs.retry_after)
        found = spec.find(request.method, path)
        if isinstance(found, str):
            return self._reject(f"{request.method} {path}: {found}")
        operation, params = found
        try:
            body = request.json() if request.raw else None
        except ValueError:
            return self._reject(f"{request.method} {path}: the body is not JSON")
        kind = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        problems = spec.problems(operation, request.query, kind, body)
        if problems:
            return self._reject(f"{operation.operation_id}: {'; '.join(problems)}")
        if (params.get("organization"), unquote(params.get("project", ""))) != (
            ORGANIZATION,
            PROJECT,
        ):
            return Answer(
                404,
                err.body(
                    f"TF200016: The following project does not exist: {params.get('project')}.",
                    "ProjectDoesNotExistWithNameException",
                ),
            )
        with self.lock:
            return self._route(operation.operation_id, params, request.query, body)

    def _signed_in(self, headers: dict[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer":
            return credential in self.tokens
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential).decode()
            except ValueError:
                return False
            return decoded.partition(":")[2] in self.tokens  # any user, the PAT as password
        return False

    def _reject(self, problem: str) -> Answer:
        with self.lock:
            self.spec_rejections.append(problem)
        return err.invalid(problem)

    def _route(
        self, operation: str, params: dict[str, str], query: dict[str, str], body: Any
    ) -> Answer:
        number = int(params.get("id") or params.get("workItemId") or 0)
        if operation == "Work Items_Get Work Items Batch":
            return self._batch(body)
        if operation == "Work Item Type States_List":
            states = STATES.get(unquote(params["type"]))
            if states is None:
                return Answer(
                    404,
                    err.body(
                        f"VS402323: Work item type {params['type']} does not exist.",
                        "WorkItemTypeNotFoundException",
                    ),
                )
            value = [
                {"name": n, "color": _COLORS.get(n) or _COLORS.get(c, "339933"), "category": c}
                for n, c in states
            ]
            return Answer(200, {"count": len(value), "value": value})
        item = self.items.get(number)
        if item is None:
            return err.missing(number)
        if operation.startswith("Comments_") and not self.knobs.markdown_comments:
            return err.version_out_of_range(query.get("api-version", ""))
        if operation == "Work Items_Get Work Item":
            return Answer(200, self._json(item, query.get("$expand", "")))
        if operation == "Work Items_Update":
            return self._update(item, body, query.get("$expand", ""))
        if operation == "Updates_List":
            return Answer(200, {"count": len(item.updates), "value": copy.deepcopy(item.updates)})
        if operation == "Comments_Get Comments":
            found = list(reversed(item.comments)) if query.get("order") == "desc" else item.comments
            top = int(query.get("$top") or 200)
            shown = found[:top]
            return Answer(200, {"totalCount": len(found), "count": len(shown), "comments": shown})
        if operation == "Comments_Add Work Item Comment":
            return self._comment(item, body, query.get("format", ""))
        return self._reject(f"{operation}: not served by the stand-in")

    def _json(self, item: Item, expand: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": item.id,
            "rev": item.rev,
            "fields": copy.deepcopy(item.fields),
            "url": f"https://dev.azure.com/{ORGANIZATION}/{PROJECT_ID}/_apis/wit/workItems/{item.id}",
        }
        if expand in ("relations", "all"):
            data["relations"] = copy.deepcopy(item.relations)
        return data

    def _batch(self, body: dict[str, Any]) -> Answer:
        ids = body.get("ids") or []
        if not ids or len(ids) > MAX_BATCH:
            return self._reject(f"workitemsbatch: {len(ids)} ids (1 to {MAX_BATCH} allowed)")
        if body.get("fields") and body.get("$expand") not in (None, "none"):
            return Answer(
                400,
                err.body(
                    "VS403437: The expand parameter can not be used with the fields parameter.",
                    "ConflictingParametersException",
                    event_id=3000,
                ),
            )
        value: list[Any] = []
        for number in ids:
            item = self.items.get(number)
            if item is None:
                if body.get("errorPolicy") != "omit":
                    return err.missing(number)
                value.append(None)
                continue
            value.append(self._json(item, str(body.get("$expand") or "")))
        return Answer(200, {"count": len(value), "value": value})

    def _update(self, item: Item, ops: list[dict[str, Any]], expand: str) -> Answer:
        if self.knobs.concurrent_edits.get(item.id, 0) > 0:
            self.knobs.concurrent_edits[item.id] -= 1
            item.rev += 1  # someone saved the item in the browser just now
            item.fields["System.ChangedBy"] = "Someone Else <someone@fabrikam.example>"
        raced = self.knobs.link_races.pop(item.id, "")
        if raced:  # held by Azure DevOps, not in what was read (another integration's link)
            item.relations.append({"rel": "Hyperlink", "url": raced, "attributes": {}})
        fields = copy.deepcopy(item.fields)
        relations = copy.deepcopy(item.relations)
        changed: dict[str, Any] = {}
        for op in ops:
            kind, path, value = op.get("op"), str(op.get("path", "")), op.get("value")
            if path == "/rev":
                if kind != "test":
                    return self._reject(f"PATCH {path}: only test applies to /rev")
                if value != item.rev:
                    return err.changed(item.id)
                continue
            if kind not in ("add", "replace"):
                return self._reject(f"PATCH: op {kind} on {path} is not served by the stand-in")
            if "value" not in op:
                return self._reject(f"PATCH {path}: {kind} needs a value")
            if path.startswith("/fields/"):
                name = path.removeprefix("/fields/")
                changed[name] = {"oldValue": fields.get(name), "newValue": value}
                fields[name] = value
            elif path == "/relations/-":
                problem = _relation_problem(value)
                if problem or not isinstance(value, dict):
                    return self._reject(f"PATCH /relations/-: {problem}")
                if any(r["url"].casefold() == value["url"].casefold() for r in relations):
                    return err.link_exists(value["url"])
                relations.append(copy.deepcopy(value))
            else:
                return self._reject(f"PATCH: path {path} is not a field or /relations/-")
        kind_name = str(fields["System.WorkItemType"])
        state = str(fields.get("System.State"))
        names = [n for n, _c in STATES.get(kind_name, [])]
        if state not in names:
            return err.rule(
                "State", "Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty"
            )
        needed = self.knobs.required.get((kind_name, state))
        if needed and not fields.get(needed) and "System.State" in changed:
            return err.rule(needed.rsplit(".", 1)[-1], "Required, InvalidEmpty")
        if item.id in self.knobs.forbidden:
            return err.forbidden(item.id)
        if "System.Tags" in changed:
            tags = [t.strip() for t in str(fields["System.Tags"]).split(";") if t.strip()]
            unique: dict[str, str] = {}
            for tag in tags:
                unique.setdefault(tag.casefold(), tag)
            fields["System.Tags"] = "; ".join(unique.values())
        history = fields.pop("System.History", None)
        item.fields, item.relations = fields, relations
        item.rev += 1
        update: dict[str, Any] = {"id": len(item.updates) + 1, "rev": item.rev, "fields": changed}
        if history is not None:
            changed["System.History"] = {"newValue": history}
        item.updates.append(update)
        return Answer(200, self._json(item, expand))

    def _comment(self, item: Item, body: dict[str, Any], kind: str) -> Answer:
        comment = {
            "workItemId": item.id,
            "id": self.next_comment,
            "version": 1,
            "text": str(body.get("text") or ""),
            "format": kind,
            "createdDate": "2026-01-01T00:00:00Z",
            "isDeleted": False,
        }
        self.next_comment += 1
        item.comments.append(comment)
        return Answer(200, copy.deepcopy(comment))


def _relation_problem(value: Any) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("rel"), str):
        return "the value is not a relation {rel, url, attributes}"
    url = value.get("url")
    if not isinstance(url, str) or not url:
        return "a relation needs a url"
    if value["rel"] == "Hyperlink" and not url.startswith(("https://", "http://")):
        return f"a Hyperlink's url must be http(s): {url[:80]}"
    if value["rel"] == "ArtifactLink" and not url.startswith("vstfs:///"):
        return f"an ArtifactLink's url must be a vstfs:/// URI: {url[:80]}"
    if value["rel"] not in ("Hyperlink", "ArtifactLink") and not value["rel"].startswith(
        "System.LinkTypes."
    ):
        return f"unknown relation type {value['rel']}"
    attributes = value.get("attributes", {})
    if not isinstance(attributes, dict):
        return "attributes must be an object"
    return ""


class _HasServices(Protocol):
    @property
    def services(self) -> Iterable[object]: ...


def boards_of(stand_ins: _HasServices) -> AzureBoards:
    return next(s for s in stand_ins.services if isinstance(s, AzureBoards))
