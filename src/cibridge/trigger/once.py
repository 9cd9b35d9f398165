"""Exactly once: which (rule, pipeline, triggering change) already started a pipeline.

The record is an issue entity property (``cibridge.trigger``) on the issue itself, so it
survives runners, reruns and Jira's webhook retries with no store of cibridge's own: read
before a dispatch, written right after a successful one, never after a failed one. Each
entry names the run that dispatched it. Jira caps a property at 32 KB; the oldest entries
go first when a long-lived issue gets near it.

The triggering change is what makes a second deployment legitimate: the history entry that
moved the issue into the target status (or added the label), or the released version. An
issue moved out of "Ready for Deployment" and back in is a new change and deploys again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.clients.jira import JiraError
from cibridge.core import untrusted

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cibridge.clients.jira import Change, Issue, JiraClient, SearchCost
    from cibridge.trigger.rules import Match

PROPERTY = "cibridge.trigger"  # the issue property the record is kept in
MAX_CHARS = 30_000  # under Jira's 32,768, with room for the entry being added


def change_of(match: Match, history: list[Change]) -> str:
    """The change that started ``match``: the latest history entry that set the status it is
    in (or added its label); ``initial`` when the issue was created that way."""
    if match.change:
        return match.change
    wanted = match.history_value
    for change in reversed(history):
        if change.field != match.history_field:
            continue
        if match.history_field == "status" and change.after.casefold() == wanted.casefold():
            return f"status:{change.id}"
        if (
            match.history_field == "labels"
            and wanted in change.after.split()
            and (wanted not in change.before.split())
        ):
            return f"label:{wanted}:{change.id}"
    prefix = "status" if match.history_field == "status" else f"label:{wanted}"
    return f"{prefix}:initial"


def entry_key(match: Match, change: str) -> str:
    return f"{match.rule}|{match.pipeline}|{change}"


def change_id(subject: str, key: str, secret: str) -> str:
    """A short id of one change of one issue (or of one release) for one pipeline, passed
    to the run as ``{{ change_id }}``, so a run that shows it in its title proves the change
    was started even when the issue's record was erased. Keyed with the trigger key: who
    can start runs of the target cannot make one carrying an id before cibridge does."""
    mac = hmac.new(secret.encode(), f"{subject}|{key}".encode(), hashlib.sha256)
    return "cib-" + mac.hexdigest()[:16]


def sign(key: str, issue: str, name: str, entry: dict[str, Any]) -> str:
    """HMAC-SHA256 of an entry under the trigger key only CI holds: anyone who can edit the
    issue can write the property, so an entry is trusted only when this matches. The issue
    and the entry's name are signed too, so an entry cannot be copied to another change."""
    fields = {k: str(entry.get(k, "")) for k in ("run", "target", "at")}
    canonical = json.dumps([issue, name, fields], sort_keys=True, separators=(",", ":"))
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class Record:
    issue: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: str = ""  # the trigger key: entries added are signed with it
    warnings: list[str] = field(default_factory=list)  # entries ignored when read

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def add(
        self, key: str, run: str, target: str, at: str, keep: frozenset[str] = frozenset()
    ) -> None:
        """Add an entry; the oldest entries of changes that no longer match (not in ``keep``)
        make room under Jira's size limit. When only entries that still match are left, the
        record is full: an error, never a silently forgotten dispatch."""
        entry: dict[str, Any] = {"run": run, "target": target, "at": at}
        if self.key:
            entry["sig"] = sign(self.key, self.issue, key, entry)
        self.entries[key] = entry
        while len(json.dumps(self.value())) > MAX_CHARS:
            evictable = [k for k in self.entries if k not in keep and k != key]
            if not evictable:
                raise JiraError(
                    f"{self.issue}: the dispatch record {PROPERTY} is full "
                    f"({len(self.entries)} entries that still match)",
                    200,
                    "the pipeline started; so many rules or versions match this issue that "
                    "cibridge cannot remember them all: split the rules, or narrow "
                    "version_pattern",
                )
            oldest = min(evictable, key=lambda k: str(self.entries[k].get("at", "")))
            del self.entries[oldest]

    def value(self) -> dict[str, Any]:
        return {"version": 1, "dispatched": self.entries}


def current(client: JiraClient, key: str) -> Issue:
    """The issue as the trigger judges it: as Jira has it now, with its record and history."""
    return client.issue(key, properties=(PROPERTY,), history=True)


def search(client: JiraClient, query: str, cost: SearchCost | None = None) -> Iterator[Issue]:
    return client.search(query, cost, properties=(PROPERTY,), history=True)


def carried(issue: Issue, key: str = "") -> Record | None:
    """The record as the issue's answer carried it (a search or GET with ``properties``);
    None when the answer did not carry properties at all. Good for skipping; a dispatch
    re-reads it with :func:`read` first, so a Jira that ignored ``properties`` cannot
    cause a second start."""
    if issue.properties is None:
        return None
    return _parse(issue.key, issue.properties.get(PROPERTY), key)


def read(client: JiraClient, issue: str, key: str = "") -> Record:
    return _parse(issue, client.property(issue, PROPERTY), key)


def _parse(issue: str, value: Any, key: str = "") -> Record:
    """The record's trusted entries. With a trigger key, an entry whose signature does not
    match is ignored with a warning: it may be forged by anyone who can edit the issue. A
    property of another shape never fails the issue; it is ignored the same way."""
    record = Record(issue, key=key)
    if value is None:
        return record
    entries = value.get("dispatched") if isinstance(value, dict) else None
    if not isinstance(entries, dict):
        record.warnings.append(
            f"{issue}: the issue property {PROPERTY} is not cibridge's dispatch record: ignored"
        )
        return record
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            entry = {"run": str(entry)}
        if key and not (
            isinstance(entry.get("sig"), str)
            and hmac.compare_digest(entry["sig"], sign(key, issue, str(name), entry))
        ):
            record.warnings.append(
                f"{issue}: record entry {untrusted.excerpt(name)} is unsigned or its "
                "signature does not match CIBRIDGE_TRIGGER_KEY: ignored, not trusted"
            )
            continue
        record.entries[str(name)] = entry
    return record


def write(
    client: JiraClient, record: Record, added: str, keep: frozenset[str] = frozenset()
) -> None:
    """Store ``record`` after entry ``added`` joined it. The property is read again first
    and merged, so another run's entry written since this run's read is kept (Jira has no
    compare-and-set; serialising runs per issue closes the remaining window)."""
    if client.dry_run is None:
        latest = read(client, record.issue, record.key)
        for key, entry in latest.entries.items():
            if key != added:
                record.entries.setdefault(key, entry)
        entry = record.entries[added]
        run, target, at = (str(entry.get(k, "")) for k in ("run", "target", "at"))
        record.add(added, run, target, at, keep=keep)
    client.set_property(record.issue, PROPERTY, record.value())
