"""Grafana Mimir's ruler configuration API (the Cortex one under its legacy prefix too).

No Mimir or Cortex binary is packaged for this machine, so this stands in for it, after
grafana/mimir ``pkg/ruler/api.go`` (``CreateRuleGroup``, ``ListRules``, ``DeleteRuleGroup``)
and ``pkg/ruler/manager.go`` (``ValidateRuleGroup``) with Prometheus's ``rulefmt`` checks:

- every route needs the tenant (``X-Scope-OrgID``): 401 ``no org id`` without it, as the
  auth middleware answers when multi-tenancy is on (``require_tenant = False``: the
  single-tenant ``anonymous``); state is kept per tenant and namespace;
- ``POST …/rules/{ns}``: one group as YAML; 400 ``unable to decoded rule group`` when it does
  not decode (unknown fields too: stricter than Mimir, as strict as ``promtool``), 400 with
  the validation errors joined by ``, ``, 400 ``per-user rules per rule group limit (limit:
  N actual: M) exceeded`` over ``max_rules_per_group``; 202 ``{"status":"success",…}`` when stored;
- ``GET …/rules/{ns}``: ``{ns: [groups]}`` as YAML, durations re-serialised the Go way
  (``300s`` comes back ``5m``); 404 ``no rule groups found``;
- ``DELETE …/rules/{ns}/{group}``: 202; 404 ``group does not exist``.

PromQL is not parsed (Mimir would): the real Prometheus in the e2e tests checks that.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from cibridge.demo.standins.server import Answer, Behaviour, Request

RULER_TENANT = "standin-tenant"
PREFIXES = ("/mimir/prometheus/config/v1/rules", "/mimir/api/v1/rules")
_GROUP_FIELDS = {
    "name",
    "interval",
    "query_offset",
    "evaluation_delay",
    "limit",
    "rules",
    "source_tenants",
    "align_evaluation_time_on_interval",
}
_RULE_FIELDS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
_DURATIONS = ("interval", "query_offset", "evaluation_delay", "for", "keep_firing_for")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
_UNITS_MS = (365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1)
_ACCEPTED = {"status": "success", "data": None, "errorType": "", "error": ""}


def _text(status: int, message: str) -> Answer:
    """Go's ``http.Error``: the message and a newline, as plain text."""
    return Answer(
        status,
        (message + "\n").encode(),
        {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )


def _milliseconds(text: object) -> int | None:
    """Prometheus's model.ParseDuration; None when ``text`` is not a duration."""
    if str(text) == "0":
        return 0
    found = _DURATION.match(str(text)) if str(text) else None
    if found is None:
        return None
    amounts = found.groups()[1::2]
    return sum(int(a) * unit for a, unit in zip(amounts, _UNITS_MS, strict=True) if a)


def _go_duration(ms: int) -> str:
    """model.Duration.String(): ``5m``, ``1h30m``, ``0s``."""
    if ms == 0:
        return "0s"
    parts = []
    for unit, label in zip(_UNITS_MS, ("y", "w", "d", "h", "m", "s", "ms"), strict=True):
        if ms >= unit:
            parts.append(f"{ms // unit}{label}")
            ms %= unit
    return "".join(parts)


def _decode(raw: bytes) -> dict[str, Any] | None:
    import yaml

    try:
        group = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(group, dict) or set(group) - _GROUP_FIELDS:
        return None
    rules = group.get("rules") or []
    if not isinstance(rules, list):
        return None
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) - _RULE_FIELDS:
            return None
        for key in ("labels", "annotations"):
            if not isinstance(rule.get(key) or {}, dict):
                return None
    for holder in [group, *rules]:
        for key in _DURATIONS:
            if key in holder:
                ms = _milliseconds(holder[key])
                if ms is None:
                    return None
                holder[key] = _go_duration(ms)
    return group


def _rule_errors(rule: dict[str, Any]) -> list[str]:
    """rulefmt's ``Rule.Validate``, without parsing the expression."""
    record, alert = rule.get("record"), rule.get("alert")
    errors = []
    if record and alert:
        errors.append("only one of 'record' and 'alert' must be set")
    if not record and not alert:
        errors.append("one of 'record' or 'alert' must be set")
    if not rule.get("expr"):
        errors.append("field 'expr' must be set in rule")
    if record:
        for key in ("annotations", "for", "keep_firing_for"):
            if rule.get(key):
                errors.append(f"invalid field '{key}' in recording rule")
        if not _METRIC_NAME.match(str(record)):
            errors.append(f"invalid recording rule name: {record}")
    for name in rule.get("labels") or {}:
        if not _LABEL_NAME.match(str(name)) or str(name) == "__name__":
            errors.append(f"invalid label name: {name}")
    for name in rule.get("annotations") or {}:
        if not _LABEL_NAME.match(str(name)):
            errors.append(f"invalid annotation name: {name}")
    return errors


def validation_errors(group: dict[str, Any]) -> list[str]:
    """Mimir's ``ValidateRuleGroup``: what makes it refuse a group, in its words."""
    name = group.get("name")
    if not name:
        return ["invalid rules config: rule group name must not be empty"]
    rules = group.get("rules") or []
    if not rules:
        return [f"invalid rules config: rule group '{name}' has no rules"]
    errors = []
    for index, rule in enumerate(rules):
        rule_name = rule.get("alert") or rule.get("record") or ""
        for problem in _rule_errors(rule):
            errors.append(f'group "{name}", rule {index}, "{rule_name}": {problem}')
    return errors


class MimirRuler:
    name = "mimir"
    prefix = "/mimir"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # its own knob below
        self.require_tenant = True
        self.max_rules_per_group = 0  # Mimir's ruler_max_rules_per_rule_group; 0: no limit
        # (tenant, namespace) -> group name -> group, in the order they were first set
        self.groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def env(self, base_url: str) -> dict[str, str]:
        return {"RULER_URL": f"{base_url}/mimir", "RULER_TENANT": RULER_TENANT}

    def handle(self, request: Request) -> Answer:
        rest = next((request.path[len(p) :] for p in PREFIXES if request.path.startswith(p)), None)
        if rest is None or not rest.startswith("/"):
            return _text(404, "404 page not found")
        tenant = request.headers.get("X-Scope-OrgID", "")
        if not tenant:
            if self.require_tenant:
                return _text(401, "no org id")
            tenant = "anonymous"
        parts = [unquote(part) for part in rest[1:].split("/")]
        if len(parts) == 1 and parts[0] and request.method in ("GET", "POST"):
            key = (tenant, parts[0])
            return self._list(key) if request.method == "GET" else self._set(key, request.raw)
        if len(parts) == 2 and all(parts) and request.method == "DELETE":
            return self._delete((tenant, parts[0]), parts[1])
        return _text(405, "method not allowed")

    def _list(self, key: tuple[str, str]) -> Answer:
        import yaml

        held = self.groups.get(key)
        if not held:
            return _text(404, "no rule groups found")
        body = yaml.safe_dump({key[1]: list(held.values())}, sort_keys=False)
        return Answer(200, body.encode(), {"Content-Type": "application/yaml"})

    def _set(self, key: tuple[str, str], raw: bytes) -> Answer:
        group = _decode(raw)
        if group is None:
            return _text(400, "unable to decoded rule group")
        errors = validation_errors(group)
        if errors:
            return _text(400, ", ".join(errors))
        count = len(group["rules"])
        if 0 < self.max_rules_per_group < count:
            limit = self.max_rules_per_group
            return _text(
                400,
                f"per-user rules per rule group limit (limit: {limit} actual: {count}) exceeded",
            )
        self.groups.setdefault(key, {})[str(group["name"])] = group
        return Answer(202, dict(_ACCEPTED))

    def _delete(self, key: tuple[str, str], name: str) -> Answer:
        held = self.groups.get(key, {})
        if name not in held:
            return _text(404, "group does not exist")
        del held[name]
        return Answer(202, dict(_ACCEPTED))
