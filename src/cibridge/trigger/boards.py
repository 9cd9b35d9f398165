"""``deployment_triggers.azure_devops``: deployments started from Azure Boards.

The rules have the Jira rules' shapes:

- ``work_item_state_trigger``: a work item of one of ``work_item_types`` moved into
  ``target_state`` (both case-insensitive) → ``pipeline_mapping[area path]``, the most
  specific area path that is the item's own or one above it (``Fabrikam\\Checkout`` holds
  ``Fabrikam\\Checkout\\Payments``);
- ``tag_trigger``: each of ``tags`` the update added → ``pipeline_mapping[tag]``.

Both may narrow by ``work_item_types`` and ``area_paths``. They are fed by a Service Hook
``workitem.updated`` delivery, whose ``resource.fields`` say what the update changed
(``{"System.State": {"oldValue": "New", "newValue": "Approved"}}``) and whose
``resource.revision`` holds the item as of that revision (MicrosoftDocs/azure-devops-docs,
docs/service-hooks/events.md, "Work item updated"). The change is the update itself: work
item id and revision, so a retried delivery is the same change and a second move into the
state is a new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.clients.targets import Defaults
from cibridge.core.errors import CibridgeError
from cibridge.trigger.rules import Match, Verdict

if TYPE_CHECKING:
    from cibridge.config.loader import Config

STATE, TAG = "work_item_state_trigger", "tag_trigger"
SECTION = ("deployment_triggers", "azure_devops")
EVENT = "workitem.updated"
_TRAILING_ID = re.compile(r"/workItems/(\d+)(?:/|$)", re.IGNORECASE)

# What a Boards dispatch carries when the config names no inputs / variables. The change
# id is always among them: the started run is the record (see ``boards_service``).
DEFAULTS = Defaults(
    github_inputs={
        "work_item_id": "{{ work_item_id }}",
        "title": "{{ summary }}",
        "environment": "{{ environment }}",
        "change_id": "{{ change_id }}",
    },
    gitlab_variables={
        "DEPLOY_WORK_ITEM_ID": "{{ work_item_id }}",
        "DEPLOY_WORK_ITEM_TITLE": "{{ summary }}",
        "DEPLOY_ENVIRONMENT": "{{ environment }}",
        "DEPLOY_CHANGE_ID": "{{ change_id }}",
    },
)


@dataclass(frozen=True)
class WorkItemChange:
    """One update of one work item, as a ``workitem.updated`` delivery describes it."""

    id: int
    rev: int
    type: str
    area_path: str
    title: str
    state: str  # the state the update moved it into; "" when the state did not change
    state_before: str
    tags_added: tuple[str, ...]
    origin: str = ""

    @property
    def key(self) -> str:
        return f"AB#{self.id}"


def split_tags(value: object) -> list[str]:
    """``System.Tags`` is one string, tags separated by "; " (Azure Boards' own form)."""
    return [tag.strip() for tag in str(value or "").split(";") if tag.strip()]


def _changed(fields: Mapping[str, Any], name: str) -> tuple[Any, Any] | None:
    value = fields.get(name)
    if isinstance(value, dict) and ("newValue" in value or "oldValue" in value):
        return value.get("oldValue"), value.get("newValue")
    return None


def _id(resource: Mapping[str, Any], revision: Mapping[str, Any]) -> int:
    # Microsoft's own sample sends workItemId 0; the revision and the parent link name it.
    for value in (resource.get("workItemId"), revision.get("id")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    links = resource.get("_links")
    parent = links.get("parent") if isinstance(links, dict) else None
    href = parent.get("href") if isinstance(parent, dict) else None
    found = _TRAILING_ID.search(str(href or ""))
    return int(found.group(1)) if found else 0


def as_object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse(data: Mapping[str, Any], where: str) -> WorkItemChange:
    """The change a ``workitem.updated`` delivery describes; a usage error for another
    event or a body of the wrong shape."""
    event = str(data.get("eventType") or "")
    if event != EVENT:
        raise CibridgeError(
            f"{where}: a {event or 'Service Hook'} delivery; the Boards triggers read "
            f"{EVENT} deliveries",
            hint="subscribe the Service Hook to the 'Work item updated' event",
        )
    resource = data.get("resource")
    if not isinstance(resource, dict):
        raise CibridgeError(f"{where}: the {EVENT} delivery has no resource object")
    fields = as_object(resource.get("fields"))
    revision = as_object(resource.get("revision"))
    current = as_object(revision.get("fields"))
    number = _id(resource, revision)
    rev = resource.get("rev", revision.get("rev"))
    if number <= 0 or not isinstance(rev, int) or isinstance(rev, bool) or rev <= 0:
        raise CibridgeError(
            f"{where}: the {EVENT} delivery names no work item id and revision "
            "(resource.workItemId or resource.revision.id, resource.rev)",
            hint="send the Service Hook's body unchanged (resource details to send: All)",
        )
    state = _changed(fields, "System.State")
    tags = _changed(fields, "System.Tags")
    added: tuple[str, ...] = ()
    if tags is not None:
        before = {t.casefold() for t in split_tags(tags[0])}
        added = tuple(t for t in split_tags(tags[1]) if t.casefold() not in before)
    return WorkItemChange(
        id=number,
        rev=rev,
        type=str(current.get("System.WorkItemType") or ""),
        area_path=str(current.get("System.AreaPath") or ""),
        title=str(current.get("System.Title") or ""),
        state=str(state[1] or "") if state is not None else "",
        state_before=str(state[0] or "") if state is not None else "",
        tags_added=added,
        origin=where,
    )


@dataclass(frozen=True)
class BoardsRule:
    name: str
    enabled: bool
    mapping: dict[str, str]
    where: str
    types: tuple[str, ...] = ()
    area_paths: tuple[str, ...] = ()
    target_state: str = ""
    tags: tuple[str, ...] = ()

    def evaluate(self, item: WorkItemChange, verdict: Verdict) -> None:
        if not self.enabled:
            verdict.reasons[self.name] = "disabled"
            return
        why = self._scope(item)
        found = why or (_state(self, item) if self.name == STATE else _tags(self, item))
        if isinstance(found, str):
            verdict.reasons[self.name] = found
        else:
            verdict.matches.extend(found)

    def _scope(self, item: WorkItemChange) -> str:
        types = {t.casefold() for t in self.types}
        if types and item.type.casefold() not in types:
            return f"work item type {item.type or '?'} is not one of {', '.join(self.types)}"
        if self.area_paths and not any(under(item.area_path, p) for p in self.area_paths):
            return f"area path {item.area_path or '?'} is not under {', '.join(self.area_paths)}"
        return ""


def under(path: str, parent: str) -> bool:
    """Whether area path ``path`` is ``parent`` or below it (case-insensitive, ``\\``)."""
    child, top = path.casefold().strip("\\"), parent.casefold().strip("\\")
    return bool(top) and (child == top or child.startswith(top + "\\"))


def _match(rule: BoardsRule, item: WorkItemChange, pipeline: str, why: str) -> Match:
    return Match(rule.name, pipeline, item.key, item.title, why, "", f"rev:{item.rev}")


def _state(rule: BoardsRule, item: WorkItemChange) -> list[Match] | str:
    if not item.state:
        return f"the update (rev {item.rev}) did not change the state"
    if item.state.casefold() != rule.target_state.casefold():
        return f"the update moved it to {item.state}, not {rule.target_state}"
    fitting = [key for key in rule.mapping if under(item.area_path, key)]
    if not fitting:
        return (
            f"area path {item.area_path or '?'} has no pipeline in pipeline_mapping ({rule.where})"
        )
    best = max(fitting, key=lambda key: len(key.strip("\\")))
    why = f"{item.type} moved from {item.state_before or '?'} to {item.state}"
    return [_match(rule, item, rule.mapping[best], why)]


def _tags(rule: BoardsRule, item: WorkItemChange) -> list[Match] | str:
    if not item.tags_added:
        return f"the update (rev {item.rev}) added no tag"
    wanted = {t.casefold(): t for t in rule.tags}
    mapping = {k.casefold(): v for k, v in rule.mapping.items()}
    found = [
        _match(rule, item, mapping[tag.casefold()], f"tag {tag} added")
        for tag in item.tags_added
        if tag.casefold() in wanted and mapping.get(tag.casefold())
    ]
    if found:
        return found
    return f"the tags it added ({', '.join(item.tags_added)}) are none of {', '.join(rule.tags)}"


def _strings(config: Config, *path: str) -> tuple[str, ...]:
    value = config.value(*path)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _mapping(config: Config, *path: str) -> dict[str, str]:
    value = config.raw(*path)
    if not isinstance(value, dict):
        return {}
    return {str(key): str(config.value(*path, key)) for key in value}


def load(config: Config) -> list[BoardsRule]:
    """The configured Boards rules; a config error names its line."""
    found = []
    for name in (STATE, TAG):
        path = (*SECTION, name)
        raw: Any = config.raw(*path)
        if not isinstance(raw, dict):
            continue
        where = config.where(*path)
        mapping = _mapping(config, *path, "pipeline_mapping")
        common: dict[str, Any] = {
            "types": _strings(config, *path, "work_item_types"),
            "area_paths": _strings(config, *path, "area_paths"),
        }
        enabled = raw.get("enabled", True) is not False
        if name == STATE:
            target = str(config.value(*path, "target_state") or "")
            if enabled and not target:
                raise CibridgeError(
                    f"{where}: {name} has no target_state",
                    hint="name the state that starts a deployment, e.g. target_state: "
                    "Ready for Deployment",
                )
            found.append(BoardsRule(name, enabled, mapping, where, target_state=target, **common))
        else:
            tags = _strings(config, *path, "tags") or tuple(mapping)
            found.append(BoardsRule(name, enabled, mapping, where, tags=tags, **common))
    return found


def evaluate(configured: list[BoardsRule], item: WorkItemChange) -> Verdict:
    verdict = Verdict()
    for rule in configured:
        rule.evaluate(item, verdict)
    return verdict
