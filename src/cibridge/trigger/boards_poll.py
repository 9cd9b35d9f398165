"""``trigger --poll`` for Azure Boards: one WIQL query per rule, then the update that made
each found item match, so a poll and a Service Hook delivery of the same update are the
same change (and start one run between them).

Requests, api-version 7.1, each an operation of Microsoft's description
(MicrosoftDocs/vsts-rest-api-specs specification/wit/7.1/workItemTracking.json):

- ``POST {collection}/{project}/_apis/wit/wiql`` (``{"query": …}``, ``$top``): the ids;
- ``POST {collection}/{project}/_apis/wit/workitemsbatch`` (at most 200 ids a request):
  type, area path, title, state and tags as they are now;
- ``GET {collection}/{project}/_apis/wit/workItems/{id}/updates`` (``$top``/``$skip``):
  the update that moved the item into the state, or added the tag.

Deliberately small and kept here, beside the Boards rules: the Azure Boards client of
``cibridge boards`` (``cibridge.clients.azure_devops``) is the place to move these three
calls to; the settings are read as that command reads them (``cibridge.boards.settings``,
which a capability may not import: the precedence is repeated in :func:`place`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cibridge.config import variables
from cibridge.core import redact
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.trigger import boards

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport
    from cibridge.trigger.boards import BoardsRule, WorkItemChange

API = "7.1"
BATCH = 200  # ids per workitemsbatch request (the spec's maximum)
PAGE = 200  # updates per page
TOP = 1000  # work items one rule's query may return: more is a problem to fix, not to page
DEFAULT_BASE = "https://dev.azure.com"
FIELDS = ("System.Id", "System.WorkItemType", "System.AreaPath", "System.Title",
          "System.State", "System.Tags", "System.Rev")  # fmt: skip
HINTS = {
    401: "Azure DevOps did not accept the credentials: check AZURE_DEVOPS_EXT_PAT (a PAT with "
    "Work Items Read) or AZURE_DEVOPS_TOKEN; in Azure Pipelines map SYSTEM_ACCESSTOKEN into "
    "the step's env",
    203: "Azure DevOps answered with its sign-in page: the credentials were not accepted",
    403: "the identity may not read these work items (View work items in this node)",
    404: "check AZURE_DEVOPS_ORG and AZURE_DEVOPS_PROJECT (or AZURE_DEVOPS_URL of an Azure "
    "DevOps Server collection)",
}


@dataclass(frozen=True)
class Place:
    collection: str  # https://dev.azure.com/fabrikam, or a server collection URL
    project: str
    auth: Auth

    def url(self, path: str, **query: str | int) -> str:
        params = "&".join(
            f"{quote(k, safe='$')}={quote(str(v), safe='')}" for k, v in query.items()
        )
        base = f"{self.collection}/{quote(self.project, safe='')}/_apis/wit/{path}"
        return f"{base}?api-version={API}" + (f"&{params}" if params else "")


def place(config: Config, env: Mapping[str, str]) -> Place:
    """Where the work items are and how to sign in, as ``cibridge boards`` reads them: the
    design's ``integration_configs.project_management.azure_devops`` block (``base_url``,
    ``organization``, ``project``, ``auth``), else its environment variables, else, in
    Azure Pipelines, the run's own collection, project and job token."""
    from cibridge.http.auth import Basic, Bearer
    from cibridge.http.integration import IntegrationSettings

    def own(key: str) -> str:
        return variables.name("azure_devops", key)

    def agent(key: str) -> str:
        return env.get(variables.name("azure_pipelines", key), "").strip()

    settings = IntegrationSettings("azure_devops", "project_management", config, env)
    if settings.configured() and not settings.enabled():
        raise CibridgeError(
            f"Azure DevOps is disabled ({settings.where('enabled')}: enabled: false)",
            hint="set enabled: true under integration_configs.project_management.azure_devops",
        )
    organization = str(settings.value("organization", own("organization")) or "").strip("/ ")
    base = str(settings.value("base_url", own("base_url")) or "").rstrip("/")
    if organization:
        collection = f"{base or DEFAULT_BASE}/{quote(organization, safe='')}"
    else:
        collection = base if base and base != DEFAULT_BASE else agent("collection_uri")
    project = str(settings.value("project", own("project")) or agent("project"))
    if not collection.rstrip("/") or not project:
        raise CibridgeError(
            "trigger --poll: no Azure DevOps organization and project to poll",
            hint="set AZURE_DEVOPS_ORG and AZURE_DEVOPS_PROJECT (AZURE_DEVOPS_URL for an Azure "
            "DevOps Server collection), or organization and project under "
            "integration_configs.project_management.azure_devops; Azure Pipelines sets "
            "SYSTEM_COLLECTIONURI and SYSTEM_TEAMPROJECT",
        )
    kind = str(settings.value("type", default="") or "").lower()
    configured = settings.secret("token") or settings.secret("password")
    pat = settings.secret("password", own("password")) or ""
    token = settings.secret("token", own("token")) or agent("access_token")
    redact.register(token)
    auth: Auth | None = None
    if kind in ("pat", "basic") and (configured or pat):
        auth = Basic("", configured or pat)
    elif kind in ("bearer", "token") and (configured or token):
        auth = Bearer(configured or token)
    elif not kind and (pat or token):
        auth = Basic("", pat) if pat else Bearer(token)
    if auth is None:
        raise CibridgeError(
            "trigger --poll: no Azure DevOps credentials",
            hint="set AZURE_DEVOPS_EXT_PAT (a PAT with Work Items Read) or AZURE_DEVOPS_TOKEN, "
            "or token_ref in the azure_devops auth block; in Azure Pipelines map "
            "SYSTEM_ACCESSTOKEN: $(System.AccessToken) into the step",
        )
    return Place(collection.rstrip("/"), project, auth)


def literal(value: str) -> str:
    """A WIQL string literal: single quotes, a quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def wiql(rule: BoardsRule) -> str | None:
    """The rule's candidates in one query; None when it can match nothing."""
    if not rule.enabled or not rule.mapping:
        return None
    clauses = ["[System.TeamProject] = @project"]
    if rule.types:
        clauses.append(f"[System.WorkItemType] IN ({', '.join(map(literal, rule.types))})")
    paths = rule.area_paths or (tuple(rule.mapping) if rule.name == boards.STATE else ())
    if paths:
        under = " OR ".join(f"[System.AreaPath] UNDER {literal(p)}" for p in paths)
        clauses.append(f"({under})")
    if rule.name == boards.STATE:
        clauses.append(f"[System.State] = {literal(rule.target_state)}")
    else:
        tags = [t for t in rule.tags if t.casefold() in {k.casefold() for k in rule.mapping}]
        if not tags:
            return None
        clauses.append(
            "(" + " OR ".join(f"[System.Tags] CONTAINS {literal(t)}" for t in tags) + ")"
        )
    where = " AND ".join(clauses)  # every value in it went through literal()
    return f"SELECT [System.Id] FROM WorkItems WHERE {where} ORDER BY [System.Id]"  # noqa: S608


@dataclass
class Polled:
    changes: list[WorkItemChange] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)  # rule -> WIQL
    requests: int = 0
    notes: list[str] = field(default_factory=list)


class Reader:
    def __init__(self, transport: Transport, where: Place) -> None:
        self.transport = transport
        self.where = where
        self.requests = 0

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        self.requests += 1
        response = self.transport.request(
            method, url, json=body, auth=self.where.auth, what="Azure DevOps"
        )
        data = response.json()
        if response.status == 200 and isinstance(data, dict):
            return data
        said = data.get("message") if isinstance(data, dict) else response.text
        hint = HINTS.get(response.status, "")
        raise CibridgeError(
            f"Azure DevOps {method} {url.split('?')[0].split('/_apis/')[-1]}: HTTP "
            f"{response.status}: {excerpt(said or 'no message')}",
            exit_code=EXIT_FAILURE,
            hint=hint,
        )

    def ids(self, query: str) -> list[int]:
        found = self._call("POST", self.where.url("wiql", **{"$top": TOP}), {"query": query})
        items = found.get("workItems")
        return [
            int(i["id"])
            for i in items or []
            if isinstance(i, dict) and isinstance(i.get("id"), int)
        ]

    def items(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        current: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH):
            # errorPolicy omit: an item deleted (or hidden) since the query is a null, not
            # a refusal of the whole batch.
            body = {
                "ids": ids[start : start + BATCH],
                "fields": list(FIELDS),
                "errorPolicy": "omit",
            }
            found = self._call("POST", self.where.url("workitemsbatch"), body)
            for item in found.get("value") or []:
                if isinstance(item, dict) and isinstance(item.get("fields"), dict):
                    current[int(item.get("id") or 0)] = item["fields"]
        return current

    def updates(self, number: int) -> Iterator[dict[str, Any]]:
        skip = 0
        while True:
            url = self.where.url(f"workItems/{number}/updates", **{"$top": PAGE, "$skip": skip})
            page = [u for u in self._call("GET", url).get("value") or [] if isinstance(u, dict)]
            yield from page
            if len(page) < PAGE:
                return
            skip += PAGE


def _latest(
    updates: list[dict[str, Any]], rule: BoardsRule, tag: str = ""
) -> dict[str, Any] | None:
    for entry in reversed(updates):
        update: dict[str, Any] = entry
        fields = boards.as_object(update.get("fields"))
        change = fields.get("System.State" if not tag else "System.Tags")
        if not isinstance(change, dict):
            continue
        if not tag and str(change.get("newValue") or "").casefold() == rule.target_state.casefold():
            return update
        if tag:
            before = {t.casefold() for t in boards.split_tags(change.get("oldValue"))}
            after = {t.casefold() for t in boards.split_tags(change.get("newValue"))}
            if tag.casefold() in after and tag.casefold() not in before:
                return update
    return None


def poll(transport: Transport, where: Place, configured: list[BoardsRule]) -> Polled:
    """Each rule's candidates as the changes a Service Hook would have delivered."""
    reader = Reader(transport, where)
    polled = Polled()
    for rule in configured:
        query = wiql(rule)
        if query is None:
            continue
        polled.queries[rule.name] = query
        ids = reader.ids(query)
        current = reader.items(ids)
        for number in ids:
            fields = current.get(number)
            if fields is None:
                continue  # gone, or no longer visible, since the query
            updates = list(reader.updates(number))
            wanted = {k.casefold() for k in rule.tags}
            carried = boards.split_tags(fields.get("System.Tags"))
            tags = (
                [t for t in carried if t.casefold() in wanted] if rule.name == boards.TAG else [""]
            )
            for tag in tags:
                update = _latest(updates, rule, tag)
                if update is None:
                    polled.notes.append(
                        f"AB#{number}: no update in its history "
                        + (f"added the tag {tag}" if tag else f"moved it to {rule.target_state}")
                    )
                    continue
                changed = update.get("fields", {}).get("System.State", {})
                now = str(fields.get("System.State") or "").casefold()
                # Moved on since the query (or since that update): not in the state now.
                still = not tag and now == rule.target_state.casefold()
                state = str(changed.get("newValue") or "") if still else ""
                polled.changes.append(
                    boards.WorkItemChange(
                        id=number,
                        rev=int(update.get("rev") or 0),
                        type=str(fields.get("System.WorkItemType") or ""),
                        area_path=str(fields.get("System.AreaPath") or ""),
                        title=str(fields.get("System.Title") or ""),
                        state=str(state or ""),
                        state_before=str(changed.get("oldValue") or "") if not tag else "",
                        tags_added=(tag,) if tag else (),
                        origin=f"poll {rule.name}",
                    )
                )
    polled.requests = reader.requests
    return polled


def configured(config: Config, env: Mapping[str, str]) -> bool:
    """Whether Azure DevOps is set up for reading (the block, or any of its variables)."""
    from cibridge.http.integration import IntegrationSettings

    if IntegrationSettings("azure_devops", "project_management", config, env).configured():
        return True
    return any(env.get(v.name) for v in variables.of("azure_devops"))


def confirm(transport: Transport, where: Place, delivered: WorkItemChange) -> WorkItemChange:
    """The delivered update as Azure DevOps has it: its own record of what revision
    ``delivered.rev`` changed, and the item as it is now. A delivery can then name only
    which update to look at; what the rules see is the server's."""
    reader = Reader(transport, where)
    update = next((u for u in reader.updates(delivered.id) if u.get("rev") == delivered.rev), None)
    if update is None:
        raise CibridgeError(
            f"{delivered.key}: Azure DevOps has no update to revision {delivered.rev}",
            exit_code=EXIT_FAILURE,
            hint="the delivery does not match the work item's history: check where it came from",
        )
    fields = reader.items([delivered.id]).get(delivered.id)
    if fields is None:
        raise CibridgeError(
            f"{delivered.key}: Azure DevOps does not show the work item",
            exit_code=EXIT_FAILURE,
            hint="check the id, and that this identity can see the work item's area path",
        )
    changed = boards.as_object(update.get("fields"))
    state = boards.as_object(changed.get("System.State"))
    now = str(fields.get("System.State") or "")
    moved = str(state.get("newValue") or "")
    tags = boards.as_object(changed.get("System.Tags"))
    before = {t.casefold() for t in boards.split_tags(tags.get("oldValue"))}
    carried = {t.casefold() for t in boards.split_tags(fields.get("System.Tags"))}
    added = tuple(
        t
        for t in boards.split_tags(tags.get("newValue"))
        if t.casefold() not in before and t.casefold() in carried  # and still there
    )
    return boards.WorkItemChange(
        id=delivered.id,
        rev=delivered.rev,
        type=str(fields.get("System.WorkItemType") or ""),
        area_path=str(fields.get("System.AreaPath") or ""),
        title=str(fields.get("System.Title") or ""),
        # Moved on since that update: not in the state now, so not deployed.
        state=moved if moved and moved.casefold() == now.casefold() else "",
        state_before=str(state.get("oldValue") or ""),
        tags_added=added,
        origin=f"{delivered.origin}, checked with Azure DevOps",
    )
