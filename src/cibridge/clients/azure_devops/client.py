"""A thin Azure Boards (work item tracking) REST client on the run's one HTTP session.

The calls ``cibridge boards`` makes, api-version 7.1 (comments: 7.1-preview.4), each
checked against Microsoft's published description by the stand-in:

- ``POST {collection}/{project}/_apis/wit/workitemsbatch`` (at most 200 ids a request)
  with ``$expand: relations`` and ``errorPolicy: omit``: items that do not exist, or
  that this identity cannot see, come back as ``null``;
- ``GET …/_apis/wit/workitemtypes/{type}/states``;
- ``PATCH …/_apis/wit/workitems/{id}`` with a JSON Patch document
  (``application/json-patch+json``);
- ``GET|POST …/_apis/wit/workItems/{id}/comments`` (``format=markdown`` to post) and
  ``GET …/_apis/wit/workItems/{id}/updates`` (where comments are read from history).

Every refusal becomes a :class:`BoardsError` with Azure DevOps' own message and code.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from cibridge.clients.azure_devops import errors
from cibridge.clients.azure_devops.errors import BoardsError
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

API = "7.1"
COMMENTS_API = "7.1-preview.4"
BATCH_LIMIT = 200  # ids per workitemsbatch request (the spec: "Maximum 200")
COMMENTS_PAGE = 200  # the newest comments read when looking for this run's
PATCH_TYPE = "application/json-patch+json"

Printer = Callable[[str, str, Mapping[str, str], Any], None]  # method, url, headers, body


@dataclass
class State:
    name: str
    category: str


@dataclass
class WorkItem:
    id: int
    rev: int
    type: str = ""
    state: str = ""
    title: str = ""
    tags: list[str] = field(default_factory=list)
    relations: list[tuple[str, str]] = field(default_factory=list)  # (rel, url)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> WorkItem:
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
        assert isinstance(fields, dict)
        relations = [
            (str(r.get("rel") or ""), str(r.get("url") or ""))
            for r in data.get("relations") or []
            if isinstance(r, dict)
        ]
        rev = data.get("rev")
        return cls(
            id=int(data.get("id") or 0),
            rev=rev if isinstance(rev, int) else 0,
            type=str(fields.get("System.WorkItemType") or ""),
            state=str(fields.get("System.State") or ""),
            title=str(fields.get("System.Title") or ""),
            tags=split_tags(str(fields.get("System.Tags") or "")),
            relations=relations,
        )

    def has_link(self, url: str) -> bool:
        return any(existing.casefold() == url.casefold() for _rel, existing in self.relations)


def split_tags(value: str) -> list[str]:
    """``System.Tags`` is one string, tags separated by ``;`` (Azure adds a space)."""
    return [tag.strip() for tag in value.split(";") if tag.strip()]


class BoardsClient:
    def __init__(
        self,
        transport: Transport | None,
        collection_url: str,
        project: str,
        auth: Auth | None,
        dry_run: Printer | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        self.transport = transport
        self.collection_url = collection_url.rstrip("/")
        self.project = project
        self.auth = auth
        self.timeout = timeout
        self.dry_run = dry_run  # reads are sent, writes printed instead
        self.requests = 0  # sent (or, in a dry run, printed): what a run cost

    def url(self, path: str, version: str = API, **query: str) -> str:
        params = {**query, "api-version": version}
        base = f"{self.collection_url}/{quote(self.project, safe='')}/_apis/wit/{path}"
        return f"{base}?{urlencode(params, safe='$,')}"

    def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        body: Any = None,
        content_type: str = "application/json",
        read: bool | None = None,
        expect: type | None = dict,
    ) -> Any:
        is_read = method == "GET" if read is None else read
        headers = {"Content-Type": content_type} if body is not None else {}
        self.requests += 1
        if self.dry_run is not None and not is_read:
            self.dry_run(method, url, headers, body)
            return None
        if self.transport is None:
            raise CibridgeError(f"{what}: no transport (a dry run without Azure DevOps access)")
        data = None if body is None else jsonlib.dumps(body, ensure_ascii=False).encode()
        response = self.transport.request(
            method,
            url,
            data=data,
            headers=headers,
            auth=self.auth,
            timeout=self.timeout,
            what=what,
            stay_on_origin=True,  # the token never follows a redirect to another host
        )
        if not response.ok:
            raise errors.refused(response, what)
        found = response.json()
        if (
            response.status == 203
            or response.truncated
            or (expect is not None and not isinstance(found, expect))
        ):
            raise errors.not_json(response, what)
        return found

    # -- reads ------------------------------------------------------------------------

    def work_items(self, ids: Sequence[int]) -> tuple[dict[int, WorkItem], list[int]]:
        """The work items found, and the ids Azure DevOps does not know or will not show."""
        found: dict[int, WorkItem] = {}
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = list(ids[start : start + BATCH_LIMIT])
            body = {"ids": chunk, "$expand": "relations", "errorPolicy": "omit"}
            data = self.call(
                "POST",
                self.url("workitemsbatch"),
                what="Azure Boards workitemsbatch",
                body=body,
                read=True,
            )
            values = data.get("value")
            if not isinstance(values, list):
                raise BoardsError(
                    "Azure Boards workitemsbatch: the answer's 'value' is not a list", 200
                )
            for value in values:
                if isinstance(value, dict) and isinstance(value.get("id"), int):
                    item = WorkItem.parse(value)
                    found[item.id] = item
        return found, [number for number in ids if number not in found]

    def work_item(self, number: int) -> WorkItem:
        url = self.url(f"workitems/{number}", **{"$expand": "relations"})
        return WorkItem.parse(self.call("GET", url, what=f"AB#{number}"))

    def states(self, work_item_type: str) -> list[State]:
        url = self.url(f"workitemtypes/{quote(work_item_type, safe='')}/states")
        data = self.call("GET", url, what=f"Azure Boards states of {work_item_type}")
        values = data.get("value")
        if not isinstance(values, list):
            raise BoardsError(f"Azure Boards states of {work_item_type}: no 'value' list", 200)
        return [
            State(str(v.get("name") or ""), str(v.get("category") or ""))
            for v in values
            if isinstance(v, dict) and v.get("name")
        ]

    def comments(self, number: int) -> list[str]:
        """The texts of the newest comments (markdown or HTML, as stored)."""
        url = self.url(
            f"workItems/{number}/comments",
            COMMENTS_API,
            **{"$top": str(COMMENTS_PAGE), "order": "desc"},
        )
        data = self.call("GET", url, what=f"AB#{number} comments")
        found = data.get("comments")
        return [str(c.get("text") or "") for c in found or [] if isinstance(c, dict)]

    def history(self, number: int) -> list[str]:
        """Every ``System.History`` entry in the item's updates (comments as history)."""
        data = self.call(
            "GET", self.url(f"workItems/{number}/updates"), what=f"AB#{number} updates"
        )
        texts = []
        for update in data.get("value") or []:
            changed = update.get("fields") if isinstance(update, dict) else None
            entry = changed.get("System.History") if isinstance(changed, dict) else None
            if isinstance(entry, dict) and entry.get("newValue"):
                texts.append(str(entry["newValue"]))
        return texts

    # -- writes -----------------------------------------------------------------------

    def update(self, number: int, operations: list[dict[str, Any]]) -> WorkItem | None:
        """Apply a JSON Patch document; the updated item (None in a dry run)."""
        url = self.url(f"workitems/{number}", **{"$expand": "relations"})
        data = self.call(
            "PATCH", url, what=f"AB#{number} update", body=operations, content_type=PATCH_TYPE
        )
        return None if data is None else WorkItem.parse(data)

    def add_comment(self, number: int, text: str) -> None:
        url = self.url(f"workItems/{number}/comments", COMMENTS_API, format="markdown")
        self.call("POST", url, what=f"AB#{number} comment", body={"text": text})
