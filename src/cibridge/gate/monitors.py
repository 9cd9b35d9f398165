"""Datadog monitors from the gate's Datadog checks (``cibridge gate rules --format datadog``).

What the Prometheus rules are for Prometheus checks, monitors are for ``source: datadog``
checks: each threshold keeps watching the deploy's query between deploys. A monitor has one
comparison, so a check makes one monitor per bound: ``max_value`` (``> max``), ``min_value``
(``< min``), and ``expected_value`` ± tolerance as two (``> e + t`` and ``< e - t``).

The monitor's window is the check's ``duration`` (else its ``interval``), in whole minutes,
as Datadog's ``last_#m`` wants. With a duration the gate fails only on a value outside the
bound for that long, so the monitor looks at the whole window: ``min(...) > max`` (every
point above) and ``max(...) < min``; without one, the check's ``aggregation`` (``last``,
which monitors do not have, becomes ``avg``). The critical threshold repeats the query's,
as Datadog requires ("Alert threshold (X) does not match that used in the query (Y)").

Ownership: monitors are found again by their tags, ``cibridge-service:<service>`` and
``cibridge-check:<check>`` (+ ``cibridge-bound:<bound>``). A rerun updates in place; a
monitor with those tags that no check makes any more is deleted; monitors without them are
never touched. ``service_name`` is required, since it scopes what may be deleted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.gate.settings import MetricCheck

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient

MONITORS = "/api/v1/monitor"
MAX_MINUTES = 10080  # Datadog: last_#m with # up to 10080 (the v1 description of query)
_TIME_AGGREGATIONS = ("avg", "sum", "min", "max")
_MANAGED = "managed-by:cibridge"
_COMPARED_OPTIONS = ("thresholds", "notify_no_data", "include_tags")


def tag_value(text: str) -> str:
    """``text`` as a Datadog tag value: lower case, characters Datadog keeps (letters,
    digits, ``_ - : . /``), others as ``_``, at most 150 characters (a tag is 200)."""
    return re.sub(r"[^a-z0-9_\-:./]", "_", text.lower())[:150]


@dataclass(frozen=True)
class Wanted:
    key: tuple[str, str]  # (check tag, bound)
    check: str
    body: dict[str, Any]


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _bounds(check: MetricCheck) -> list[tuple[str, str, float]]:
    bounds = []
    if check.max_value is not None:
        bounds.append(("max", ">", check.max_value))
    if check.min_value is not None:
        bounds.append(("min", "<", check.min_value))
    if check.expected_value is not None:
        tolerance = check.tolerance.of(check.expected_value)
        bounds.append(("above-expected", ">", check.expected_value + tolerance))
        bounds.append(("below-expected", "<", check.expected_value - tolerance))
    # 0.9 + 0.05 is 0.9500000000000001 in binary: the query shows what the reader wrote.
    return [(bound, operator, float(f"{value:.12g}")) for bound, operator, value in bounds]


def _window(check: MetricCheck) -> int:
    return max(1, math.ceil((check.duration or check.interval) / 60))


def _time_aggregation(check: MetricCheck, operator: str) -> str:
    if check.duration:
        return "min" if operator == ">" else "max"
    return check.aggregation if check.aggregation in _TIME_AGGREGATIONS else "avg"


def _text(text: str) -> str:
    """Text shown as it is: monitor messages are templates (``{{value}}``)."""
    return text.replace("{{", "{ {").replace("}}", "} }")


def left_out(checks: Sequence[MetricCheck]) -> list[str]:
    """Why some checks (or parts of them) make no monitor, one line each."""
    notes = []
    for check in checks:
        if check.source != "datadog":
            notes.append(f"{check.name}: runs in Prometheus (see gate rules without --format)")
        elif check.failure_action == "ignore":
            notes.append(f"{check.name}: skipped (failure_action: ignore)")
        elif check.comparison is not None:
            notes.append(
                f"{check.name}: skipped (a canary vs baseline comparison, which needs two "
                "versions running side by side during a deploy)"
            )
        elif not _bounds(check):
            notes.append(
                f"{check.name}: skipped (only a baseline comparison, which needs a deploy)"
            )
        elif _window(check) > MAX_MINUTES:
            notes.append(f"{check.name}: skipped (Datadog's longest window is {MAX_MINUTES}m)")
        else:
            if check.baseline is not None:
                notes.append(f"{check.name}: its baseline comparison is left out")
            if not check.duration and check.aggregation not in _TIME_AGGREGATIONS:
                notes.append(f"{check.name}: aggregation {check.aggregation} watched as avg")
    return notes


def wanted(checks: Sequence[MetricCheck], service: str) -> list[Wanted]:
    """The monitors the rendered checks of ``service`` make."""
    if not service:
        raise CibridgeError(
            "gate rules --format datadog: service_name is not set",
            hint="pass --set service_name=NAME: its monitors are found again (and deleted "
            "when their checks are gone) by the tag cibridge-service:<service_name>",
        )
    found: list[Wanted] = []
    named: dict[str, str] = {}
    for check in checks:
        if check.source != "datadog" or check.failure_action == "ignore":
            continue
        if _window(check) > MAX_MINUTES:
            continue
        tag = tag_value(check.name)
        if named.setdefault(tag, check.name) != check.name:
            raise CibridgeError(
                f"gate rules --format datadog: checks {named[tag]!r} and {check.name!r} "
                f"would both be the monitor tag cibridge-check:{tag}",
                hint="rename one of them: Datadog tags are lower case, other characters _",
            )
        for bound, operator, value in _bounds(check):
            found.append(
                Wanted((tag, bound), check.name, _body(check, service, bound, operator, value))
            )
    return found


def _body(
    check: MetricCheck, service: str, bound: str, operator: str, value: float
) -> dict[str, Any]:
    window = _window(check)
    query = (
        f"{_time_aggregation(check, operator)}(last_{window}m):{check.query.strip()} "
        f"{operator} {_number(value)}"
    )
    held = f"for {window}m" if check.duration else f"over {window}m"
    return {
        "name": _text(f"cibridge gate: {check.name} of {service} {operator} {_number(value)}"),
        "type": "query alert",
        "query": query,
        "message": _text(
            f"{check.query.strip()} has been {operator} {_number(value)} {held}. The "
            f"deployment gate checks this as {check.name} (failure_action: "
            f"{check.failure_action}); this monitor keeps watching it between deploys. "
            "Written by `cibridge gate rules --format datadog --apply`: edit the check, "
            "not the monitor (the next apply replaces it)."
        ),
        "tags": [
            f"cibridge-service:{tag_value(service)}",
            f"cibridge-check:{tag_value(check.name)}",
            f"cibridge-bound:{bound}",
            _MANAGED,
        ],
        "options": {
            "thresholds": {"critical": value},
            "notify_no_data": False,  # no data never fails the gate by default either
            "include_tags": True,
        },
    }


@dataclass(frozen=True)
class Step:
    name: str  # the check and bound, for the report
    action: str  # added, changed, unchanged, removed
    monitor_id: int | None = None
    body: dict[str, Any] | None = None


def _key(monitor: Mapping[str, Any]) -> tuple[str, str] | None:
    tags = [str(tag) for tag in monitor.get("tags") or []]
    check = [tag.split(":", 1)[1] for tag in tags if tag.startswith("cibridge-check:")]
    bound = [tag.split(":", 1)[1] for tag in tags if tag.startswith("cibridge-bound:")]
    if len(check) != 1 or len(bound) != 1:
        return None
    return check[0], bound[0]


def _normal(monitor: Mapping[str, Any]) -> Any:
    """What is compared: the fields cibridge sets, as Datadog echoes them (thresholds as
    numbers, tags in any order)."""
    options = monitor.get("options") or {}
    thresholds = options.get("thresholds") or {}
    return (
        monitor.get("name"),
        monitor.get("type"),
        monitor.get("query"),
        monitor.get("message"),
        sorted(str(tag) for tag in monitor.get("tags") or []),
        {k: float(v) for k, v in thresholds.items() if isinstance(v, int | float)},
        tuple(options.get(k) for k in _COMPARED_OPTIONS if k != "thresholds"),
    )


def plan(want: Sequence[Wanted], current: Sequence[Mapping[str, Any]]) -> list[Step]:
    """What installing ``want`` changes against the service's monitors ``current`` (those
    listed by its service tag). A second monitor for one key, e.g. a clone in the UI that
    kept the tags, is removed: a rerun never leaves two."""
    existing: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for monitor in sorted(current, key=lambda m: int(m["id"])):
        key = _key(monitor)
        if key is not None:
            existing.setdefault(key, []).append(monitor)
    steps = []
    for item in want:
        name = f"{item.check} ({item.key[1]})"
        there = existing.pop(item.key, [])
        if not there:
            steps.append(Step(name, "added", body=item.body))
            continue
        first, *extra = there
        same = _normal(first) == _normal(item.body)
        action = "unchanged" if same else "changed"
        steps.append(Step(name, action, int(first["id"]), None if same else item.body))
        steps.extend(Step(f"{name}, a second copy", "removed", int(m["id"])) for m in extra)
    for (check, bound), monitors in existing.items():
        steps.extend(Step(f"{check} ({bound})", "removed", int(m["id"])) for m in monitors)
    return steps


def listed(client: DatadogClient, service: str) -> list[Mapping[str, Any]]:
    """The monitors tagged with the service's tag (one request: without ``page`` Datadog
    returns every match)."""
    from urllib.parse import quote

    tag = f"cibridge-service:{tag_value(service)}"
    answer = client.send(
        "GET", f"{MONITORS}?monitor_tags={quote(tag, safe='')}", None, "Datadog monitors"
    )
    if not isinstance(answer, list) or not all(
        isinstance(m, dict) and isinstance(m.get("id"), int) and not isinstance(m["id"], bool)
        for m in answer
    ):
        raise CibridgeError(
            "Datadog monitors: the list is not a JSON array of monitors with ids",
            exit_code=1,
            hint="check the Datadog url: it should be the API base (https://api.<site>)",
        )
    return [m for m in answer if tag in (m.get("tags") or [])]


def apply(client: DatadogClient, steps: Sequence[Step]) -> list[str]:
    """Carry out ``steps``; the failures, one line each (one never stops the others). A
    monitor already deleted (404) counts as removed."""
    failures = []
    for step in steps:
        what = f"Datadog monitor {step.name}"
        try:
            if step.action == "added":
                client.send("POST", MONITORS, step.body, what)
            elif step.action == "changed":
                client.send("PUT", f"{MONITORS}/{step.monitor_id}", step.body, what)
            elif step.action == "removed":
                client.send("DELETE", f"{MONITORS}/{step.monitor_id}", None, what)
        except CibridgeError as error:
            if step.action == "removed" and "HTTP 404" in error.message:
                continue
            failures.append(error.message + (f" ({error.hint})" if error.hint else ""))
    return failures
