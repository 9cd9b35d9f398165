"""Prometheus alerting rules from the gate's metric checks (``cibridge gate rules``).

What gated the deploy keeps watching it afterwards: each check becomes one alert with the
same (rendered) query and thresholds, the check's ``duration`` as ``for:``, and labels naming
the service and a severity taken from ``failure_action`` (rollback/fail: critical, alert:
warning, warn: info). The expression fires when the gate would call an observation a
failure:

- ``max_value``: ``(query) > max_value``
- ``min_value``: ``(query) < min_value``
- ``expected_value`` + ``tolerance``: ``abs((query) - expected_value) > tolerance``

joined with ``or`` when a check has several. No data never fires an alert, as no data never
fails the gate by default. A ``baseline`` compares with the time before one deploy, which a
standing rule has no notion of, so it is left out (a check with nothing else is skipped and
:func:`left_out` says so); so is a canary comparison (``baseline_query``), a statistical test
between two versions running side by side during a rollout; ``failure_action: ignore``
checks are skipped too, and Datadog checks become monitors instead
(:mod:`cibridge.gate.monitors`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cibridge.core.durations import seconds_text
from cibridge.core.errors import CibridgeError
from cibridge.gate.settings import MetricCheck

SEVERITY = {"rollback": "critical", "fail": "critical", "alert": "warning", "warn": "info"}


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def condition(check: MetricCheck) -> str:
    """The PromQL that selects the series the gate would count as failing ('' if none)."""
    query = f"({check.query})"
    parts = []
    if check.expected_value is not None:
        tolerance = check.tolerance.of(check.expected_value)
        parts.append(f"abs({query} - {_number(check.expected_value)}) > {_number(tolerance)}")
    if check.max_value is not None:
        parts.append(f"{query} > {_number(check.max_value)}")
    if check.min_value is not None:
        parts.append(f"{query} < {_number(check.min_value)}")
    return " or ".join(parts)


def alert_name(name: str) -> str:
    """``error_rate`` -> ``ErrorRate``: a valid metric name, as Prometheus wants alert names."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words) or "GateCheck"
    return camel if camel[0].isalpha() else f"Check{camel}"


def _literal(text: str) -> str:
    """Text shown in an annotation as it is: annotations are Go templates."""
    return text.replace("{{", '{{ "{{" }}')


def left_out(checks: Sequence[MetricCheck]) -> list[str]:
    """Why some checks (or parts of them) are not in the rules, one line each."""
    notes = []
    for check in checks:
        if check.source != "prometheus":
            notes.append(f"{check.name}: runs in Datadog (see gate rules --format datadog)")
        elif check.failure_action == "ignore":
            notes.append(f"{check.name}: skipped (failure_action: ignore)")
        elif check.comparison is not None:
            notes.append(
                f"{check.name}: skipped (a canary vs baseline comparison, which needs two "
                "versions running side by side during a deploy)"
            )
        elif not condition(check):
            notes.append(
                f"{check.name}: skipped (only a baseline comparison, which needs a deploy)"
            )
        elif check.baseline is not None:
            notes.append(f"{check.name}: its baseline comparison is left out (it needs a deploy)")
    return notes


def rule(check: MetricCheck, service: str, alert: str) -> dict[str, Any]:
    # Label values are Go templates too: a name or service holding "{{" stays text.
    labels = {"severity": SEVERITY[check.failure_action], "check": _literal(check.name)}
    if service:
        labels = {"service": _literal(service), **labels}
    threshold = ", ".join(
        part for part in check.threshold().split(", ") if not part.startswith("baseline")
    )
    who = f" of {service}" if service else ""
    body: dict[str, Any] = {"alert": alert, "expr": condition(check)}
    if check.duration:
        body["for"] = seconds_text(check.duration)
    body["labels"] = labels
    body["annotations"] = {
        "summary": _literal(f"{check.name}{who} is ")
        + "{{ $value | humanize }}"
        + _literal(f", outside {threshold}"),
        "description": _literal(
            f"{check.query} has been outside {threshold} for "
            f"{seconds_text(check.duration) if check.duration else 'one evaluation'}. "
            f"The deployment gate checks this as {check.name} (failure_action: "
            f"{check.failure_action}); this rule keeps watching it between deploys."
        ),
    }
    return body


def rules_document(checks: Sequence[MetricCheck], service: str) -> dict[str, Any]:
    """A Prometheus rules file (``groups:``) for the rendered checks of one service."""
    rules = []
    used: set[str] = set()
    for check in checks:
        if check.source != "prometheus" or check.failure_action == "ignore":
            continue
        if not condition(check):
            continue
        name = base = alert_name(check.name)
        count = 1
        while name in used:  # "a-b" and "a_b" would meet as "AB"
            count += 1
            name = f"{base}{count}"
        used.add(name)
        rules.append(rule(check, service, name))
    group = f"cibridge-gate-{service}" if service else "cibridge-gate"
    return {"groups": [{"name": group, "rules": rules}]}


def dump(document: dict[str, Any], header: str = "") -> str:
    """The rules file as YAML, with ``header`` as a leading comment."""
    import yaml

    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=4096)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + text


class Installed:
    """The rules file ``gate rules --apply`` keeps in a folder Prometheus reads: one per
    service, replaced whole, so a rerun never duplicates a rule and a check removed from
    the configuration is removed from Prometheus too."""

    def __init__(self, folder: str, service: str) -> None:
        base = Path(folder)
        if not base.is_dir():
            raise CibridgeError(
                f"--rules-dir {folder}: not a folder",
                hint="pass the folder Prometheus's rule_files reads (create it first)",
            )
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", service).strip("-")
        if slug != service:  # two names that clean up alike must not share a file
            slug = f"{slug or 'service'}-{hashlib.sha256(service.encode()).hexdigest()[:8]}"
        self.path = base / f"cibridge-{slug}.yml"

    def change(self, document: dict[str, Any]) -> str:
        """What installing ``document`` changes, in alert names: added, changed (same name,
        another rule), removed; "unchanged" when the file there has the same rules."""
        new = {r["alert"]: r for group in document["groups"] for r in group["rules"]}
        old = self._alerts()
        parts = [f"{len(new)} rule(s)"]
        changed = sorted(name for name in new.keys() & old.keys() if new[name] != old[name])
        for verb, names in (
            ("added", sorted(new.keys() - old.keys())),
            ("changed", changed),
            ("removed", sorted(old.keys() - new.keys())),
        ):
            if names:
                parts.append(f"{verb} " + ", ".join(names))
        if len(parts) == 1 and old:
            parts.append("unchanged")
        return "; ".join(parts)

    def replace(self, content: str | bytes) -> bytes | None:
        """Write ``content`` in one step (a reader never sees half a file); the bytes before."""
        previous = self._bytes()
        data = content.encode() if isinstance(content, str) else content
        temporary = ""
        try:
            # ".tmp": never matched by a rule_files pattern such as rules/*.yml.
            handle, temporary = tempfile.mkstemp(
                dir=self.path.parent, prefix=".cibridge-", suffix=".tmp"
            )
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)  # Prometheus may run as another user
            os.replace(temporary, self.path)  # replaces a symbolic link, never its target
            temporary = ""
        except OSError as error:
            raise CibridgeError(
                f"--rules-dir: cannot write {self.path}: {error.strerror or error}",
                hint="pass a folder this job can write",
            ) from None
        finally:
            if temporary:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        return previous

    def restore(self, previous: bytes | None) -> None:
        """Back to the file before (none, if there was none)."""
        if previous is None:
            with contextlib.suppress(OSError):
                self.path.unlink()
        else:
            self.replace(previous)

    def _bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes() if self.path.is_file() else None
        except OSError:
            return None

    def _alerts(self) -> dict[str, Any]:
        """The alerting rules of the file there now, by name; none when it is not a rules
        file."""
        import yaml

        try:
            loaded = yaml.safe_load((self._bytes() or b"").decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            return {}
        groups = loaded.get("groups") if isinstance(loaded, dict) else None
        found: dict[str, Any] = {}
        for group in groups if isinstance(groups, list) else []:
            rules = group.get("rules") if isinstance(group, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, dict) and rule.get("alert"):
                    found[str(rule["alert"])] = rule
        return found
