"""The one model of a Jira issue: what every read asks for, parsed defensively (a field of
the wrong shape reads as empty, never as a crash or as ``'None'``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ["summary", "status", "project", "issuetype", "fixVersions", "labels"]
HISTORY_FIELDS = ("status", "labels")  # what an expanded changelog is read for


@dataclass(frozen=True)
class FixVersion:
    id: str
    name: str
    released: bool
    release_date: str = ""  # yyyy-MM-dd as Jira keeps it, "" when none is set


@dataclass(frozen=True)
class Change:
    """One history entry's change of one field."""

    id: str
    field: str
    before: str
    after: str


@dataclass
class Issue:
    """An issue as Jira says it is now, with the properties and recent history the same
    answer carried when Jira was asked for them."""

    key: str
    id: str = ""
    summary: str = ""
    status: str = ""
    project: str = ""
    project_id: str = ""
    issue_type: str = ""
    fix_versions: list[FixVersion] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    properties: dict[str, Any] | None = None  # None: the answer did not carry them
    history: list[Change] | None = None  # oldest first; None: not carried, or cut short

    @property
    def fix_version_names(self) -> list[str]:
        return [version.name for version in self.fix_versions]

    @classmethod
    def parse(cls, data: Any) -> Issue:
        data = data if isinstance(data, Mapping) else {}
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
        assert isinstance(fields, dict)

        def name(field: str, attribute: str = "name") -> str:
            value = fields.get(field)
            return str(value.get(attribute) or "") if isinstance(value, dict) else ""

        versions = fields.get("fixVersions")
        labels = fields.get("labels")
        properties = data.get("properties")
        return cls(
            key=str(data.get("key") or "").upper(),
            id=str(data.get("id") or ""),
            summary=str(fields.get("summary") or ""),
            status=name("status"),
            project=name("project", "key").upper(),
            project_id=name("project", "id"),
            issue_type=name("issuetype"),
            fix_versions=[
                FixVersion(
                    str(v.get("id") or ""),
                    str(v.get("name") or ""),
                    v.get("released") is True,
                    str(v.get("releaseDate") or ""),
                )
                for v in (versions if isinstance(versions, list) else [])
                if isinstance(v, dict)
            ],
            labels=[str(label) for label in (labels if isinstance(labels, list) else [])],
            properties=properties if isinstance(properties, dict) else None,
            history=_expanded_history(data.get("changelog")),
        )


def _expanded_history(log: Any) -> list[Change] | None:
    """The changes in an expanded changelog, or None when it is absent or not complete (an
    expanded changelog holds the recent entries only; the rest is paged from /changelog)."""
    if not isinstance(log, dict) or not isinstance(log.get("histories"), list):
        return None
    entries = [e for e in log["histories"] if isinstance(e, dict)]
    total = log.get("total")
    if isinstance(total, int) and total > len(entries):
        return None
    return changes_in(entries, HISTORY_FIELDS)


def changes_in(entries: list[dict[str, Any]], fields: tuple[str, ...]) -> list[Change]:
    """The changes to ``fields`` in changelog entries, oldest first."""
    found: list[Change] = []
    for entry in entries:
        items = entry.get("items") if isinstance(entry.get("items"), list) else []
        for item in items or []:
            if isinstance(item, dict) and str(item.get("field", "")).lower() in fields:
                found.append(
                    Change(
                        str(entry.get("id") or ""),
                        str(item.get("field")).lower(),
                        str(item.get("fromString") or ""),
                        str(item.get("toString") or ""),
                    )
                )
    # Oldest first whatever order the answer used: history ids grow with time.
    return sorted(found, key=lambda c: int(c.id) if c.id.isascii() and c.id.isdigit() else 0)
