"""The JSON Patch document of one work item's update: state, tags, links and (where
markdown comments are not available) the comment as history, after a ``test`` of the
revision read, so that a concurrent edit makes Azure DevOps refuse the update instead of
cibridge overwriting it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cibridge.clients.azure_devops import WorkItem


@dataclass(frozen=True)
class Link:
    rel: str  # Hyperlink or ArtifactLink
    url: str
    name: str = ""  # an ArtifactLink's link type name: Build, Fixed in Commit
    comment: str = ""

    def value(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        if self.name:
            attributes["name"] = self.name
        if self.comment:
            attributes["comment"] = self.comment[:256]
        found: dict[str, Any] = {"rel": self.rel, "url": self.url}
        if attributes:
            found["attributes"] = attributes
        return found


def new_tags(item: WorkItem, tags: Sequence[str]) -> list[str]:
    """The tags the item does not have yet (Azure compares tags ignoring case)."""
    have = {tag.casefold() for tag in item.tags}
    added: list[str] = []
    for tag in tags:
        if tag.casefold() not in have:
            have.add(tag.casefold())
            added.append(tag)
    return added


def new_links(item: WorkItem, links: Sequence[Link]) -> list[Link]:
    return [link for link in links if not item.has_link(link.url)]


def document(
    item: WorkItem,
    *,
    state: str = "",
    tags: Sequence[str] = (),
    links: Sequence[Link] = (),
    history: str = "",
) -> list[dict[str, Any]]:
    """The operations for ``item`` as read; only a ``test`` when there is nothing to do."""
    ops: list[dict[str, Any]] = [{"op": "test", "path": "/rev", "value": item.rev}]
    if state:
        ops.append({"op": "add", "path": "/fields/System.State", "value": state})
    if tags:
        value = "; ".join([*item.tags, *tags])
        ops.append({"op": "add", "path": "/fields/System.Tags", "value": value})
    for link in links:
        ops.append({"op": "add", "path": "/relations/-", "value": link.value()})
    if history:
        ops.append({"op": "add", "path": "/fields/System.History", "value": history})
    return ops
