"""Choosing a workflow transition and filling the fields its screen requires.

Jira answers ``GET /issue/{key}/transitions?expand=transitions.fields`` with the
transitions the *caller* may perform right now; an empty list means a missing Transition
permission (or a workflow with no way out), not a wrong status name, and the two get
different advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cibridge.clients.jira import JiraError

if TYPE_CHECKING:
    from cibridge.clients.jira import Issue

# Field types whose value Jira takes as {"name": ...} (resolution, priority, ...), select
# options as {"value": ...}, or lists of those; the rest take the string as it is.
_BY_NAME = frozenset({"resolution", "priority", "user", "version", "component"})
_BY_VALUE = frozenset({"option"})
_RESOLUTION = {"schema": {"type": "resolution"}}


def _target(transition: Mapping[str, Any]) -> str:
    to = transition.get("to")
    return str(to.get("name", "")) if isinstance(to, dict) else ""


def choose(issue: Issue, available: Sequence[Mapping[str, Any]], wanted: str) -> Mapping[str, Any]:
    """The transition to ``wanted``: by target status (case-insensitive), its id, or its name."""
    if not available:
        raise JiraError(
            f"{issue.key}: Jira offers no transition from {issue.status!r} to this account",
            403,
            hint="the account needs the Transition Issues permission in project "
            f"{issue.project} (or the workflow has no transition out of {issue.status!r})",
        )
    folded = wanted.casefold()
    by_target = [t for t in available if _target(t).casefold() == folded]
    by_id = [t for t in available if str(t.get("id")) == wanted]
    by_name = [t for t in available if str(t.get("name", "")).casefold() == folded]
    for found in (by_target, by_id, by_name):
        if found:
            return found[0]
    reachable = ", ".join(sorted({_target(t) for t in available if _target(t)}))
    raise JiraError(
        f"{issue.key}: cannot reach status {wanted!r} from {issue.status!r}",
        400,
        hint=f"reachable from {issue.status!r}: {reachable}; check the workflow, or move the "
        "issue through an intermediate status first",
    )


def required_fields(
    key: str, transition: Mapping[str, Any], resolution: str, given: Mapping[str, str]
) -> dict[str, Any]:
    """The ``fields`` of the transition request; a required field nobody filled is an error
    naming it, before Jira is asked."""
    screen = transition.get("fields") if isinstance(transition.get("fields"), dict) else {}
    assert isinstance(screen, dict)
    values: dict[str, Any] = {}
    wanted = dict(given)
    if resolution:
        wanted.setdefault("resolution", resolution)
    for field_id, value in wanted.items():
        meta = screen.get(field_id) or _by_name(screen, field_id)
        if meta is None and field_id != "resolution":
            on_screen = ", ".join(sorted(screen)) or "none"
            raise JiraError(
                f"{key}: field {field_id!r} is not on the {transition.get('name')!r} "
                "transition screen",
                400,
                hint=f"fields on that screen: {on_screen}",
            )
        real_id = field_id if meta is None or field_id in screen else _id_of(screen, field_id)
        if meta is not None:
            value = _allowed(key, transition, real_id, meta, value)
        # Jira takes a resolution by name, also from a screen whose field has no schema.
        values[real_id] = _value(_RESOLUTION if real_id == "resolution" else meta or {}, value)
    missing = {
        str(field_id): str(meta.get("name", field_id))
        for field_id, meta in screen.items()
        if isinstance(meta, dict)
        and meta.get("required")
        and not meta.get("hasDefaultValue")
        and field_id not in values
    }
    if missing:
        named = ", ".join(f"{name} ({field_id})" for field_id, name in missing.items())
        # The exact options that fill them, so the fix can be pasted.
        fixes = [
            "--resolution NAME" if field_id == "resolution" else f"--field {field_id}=VALUE"
            for field_id in missing
        ]
        raise JiraError(
            f"{key}: the {transition.get('name')!r} transition requires {named}",
            400,
            hint=f"pass {' '.join(fixes)} (in the action: the resolution / field inputs)",
        )
    return values


def _allowed(
    key: str, transition: Mapping[str, Any], field_id: str, meta: Mapping[str, Any], value: str
) -> str:
    """``value`` as the screen spells it (any letter case; each item of a list); a value the
    screen does not offer is an error listing the ones it does, before Jira is asked."""
    offered = [
        str(item.get("name") or item.get("value"))
        for item in meta.get("allowedValues") or []
        if isinstance(item, dict) and (item.get("name") or item.get("value"))
    ]
    if not offered:
        return value
    by_case = {name.casefold(): name for name in offered}
    parts = [part.strip() for part in value.split(",")] if _is_list(meta) else [value.strip()]
    unknown = [part for part in parts if part.casefold() not in by_case]
    if unknown:
        option = "--resolution NAME" if field_id == "resolution" else f"--field {field_id}=VALUE"
        raise JiraError(
            f"{key}: {meta.get('name') or field_id} {unknown[0]!r} is not one the "
            f"{transition.get('name')!r} transition offers",
            400,
            hint=f"valid: {', '.join(offered)} (pass {option})",
        )
    return ", ".join(by_case[part.casefold()] for part in parts)


def _is_list(meta: Mapping[str, Any]) -> bool:
    schema = meta.get("schema")
    return isinstance(schema, dict) and schema.get("type") == "array"


def _by_name(screen: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for meta in screen.values():
        if isinstance(meta, dict) and str(meta.get("name", "")).casefold() == name.casefold():
            return meta
    return None


def _id_of(screen: Mapping[str, Any], name: str) -> str:
    for field_id, meta in screen.items():
        if isinstance(meta, dict) and str(meta.get("name", "")).casefold() == name.casefold():
            return str(field_id)
    return name


def _value(meta: Mapping[str, Any], value: str) -> Any:
    schema = meta.get("schema") if isinstance(meta.get("schema"), dict) else {}
    assert isinstance(schema, dict)
    kind = str(schema.get("type", ""))
    items = str(schema.get("items", ""))
    if kind == "array":
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if items in _BY_VALUE:
            return [{"value": part} for part in parts]
        return [{"name": part} for part in parts] if items in _BY_NAME else parts
    if kind in _BY_NAME:
        return {"name": value}
    if kind in _BY_VALUE:
        return {"value": value}
    if kind == "number":
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value
