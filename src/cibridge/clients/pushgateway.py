"""The deploy marker and the gate's verdict, pushed to a Prometheus Pushgateway.

One group per service: ``/metrics/job/<job>/service/<service>[/<label>/<value>...]``,
replaced whole by each push (``PUT``), so a dashboard always shows the last deploy:

- ``deploy_timestamp_seconds``: when the deploy happened (``--deployed-at``); pushed as a
  value, since the Pushgateway refuses samples with timestamps;
- ``deploy_gate_result{result="pass|fail|inconclusive|error"}``: 1 for the verdict, 0 for the
  others, so ``deploy_gate_result{result="fail"} == 1`` selects failed deploys and a series
  never goes stale when the verdict changes;
- ``deploy_gate_action{action="none|alert|rollback"}``: the decision, the same way;
- ``deploy_gate_finished_timestamp_seconds``: when the verdict was reached;
- ``deploy_gate_runs_total`` and ``deploy_gate_failures_total``: counters carried from the
  group's previous push (read back first, since cibridge keeps no state of its own), so the
  change-failure rate is ``increase(deploy_gate_failures_total[30d]) /
  increase(deploy_gate_runs_total[30d])``.

Values that cannot sit in a URL path segment (``/``, spaces, empty) go base64url-encoded as
``<label>@base64/<value>``, the Pushgateway's own rule.
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError, failure
from cibridge.gate.results import VERDICTS
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

WHAT = "Pushgateway"
JOB = "cibridge_gate"
ACTIONS = ("none", "alert", "rollback")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RUNS = "deploy_gate_runs_total"
FAILURES = "deploy_gate_failures_total"
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~:-]+")
# Labels the pushed samples carry themselves, so a grouping label may not take their name.
_OWN_LABELS = frozenset({"job", "instance", "result", "action"})


@dataclass(frozen=True)
class Metric:
    """One metric family: a name, its help and type, and (labels, value) samples."""

    name: str
    help: str
    kind: str = "gauge"
    samples: Sequence[tuple[Mapping[str, str], float]] = field(default_factory=tuple)


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(metrics: Sequence[Metric]) -> str:
    """Prometheus's text format, version 0.0.4 (what the Pushgateway parses)."""
    lines = []
    for metric in metrics:
        if not _METRIC_NAME.fullmatch(metric.name):
            raise CibridgeError(f"{WHAT}: {metric.name!r} is not a metric name")
        help_text = metric.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines += [f"# HELP {metric.name} {help_text}", f"# TYPE {metric.name} {metric.kind}"]
        for labels, value in metric.samples:
            for name in labels:
                if not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
                    raise CibridgeError(f"{WHAT}: {name!r} is not a label name")
            pairs = ",".join(f'{name}="{_label_value(v)}"' for name, v in labels.items())
            braces = f"{{{pairs}}}" if pairs else ""
            lines.append(f"{metric.name}{braces} {_number(value)}")
    return "\n".join(lines) + "\n"


def _segment(name: str, value: str) -> str:
    if _PLAIN_SEGMENT.fullmatch(value) and value not in (".", ".."):
        return f"{name}/{value}"
    encoded = base64.urlsafe_b64encode(value.encode()).decode()
    return f"{name}@base64/{encoded or '='}"


def group_path(job: str, grouping: Mapping[str, str]) -> str:
    """``/metrics/job/<job>/<label>/<value>...``, values encoded as the Pushgateway reads them."""
    if not job:
        raise CibridgeError(
            f"{WHAT}: the job name is empty", hint="name the job, e.g. cibridge_gate"
        )
    parts = [_segment("job", job)]
    for name, value in grouping.items():
        if not _LABEL_NAME.fullmatch(name) or name.startswith("__") or name in _OWN_LABELS:
            raise CibridgeError(
                f"{WHAT}: {name!r} cannot be a grouping label",
                hint="use letters, digits and _; not job, instance, result or action",
            )
        parts.append(_segment(name, value))
    return "/metrics/" + "/".join(parts)


def one_hot(name: str, help_text: str, label: str, chosen: str, options: Sequence[str]) -> Metric:
    if chosen not in options:
        raise CibridgeError(f"{WHAT}: {label} {chosen!r} is not one of {', '.join(options)}")
    samples = tuple(({label: option}, 1.0 if option == chosen else 0.0) for option in options)
    return Metric(name, help_text, "gauge", samples)


def deploy_metrics(
    *,
    deployed_at: float,
    verdict: str,
    action: str,
    finished_at: float,
    runs: float = 1.0,
    failures: float = 0.0,
) -> list[Metric]:
    """The families one gate run pushes (see the module's description)."""
    return [
        Metric(
            "deploy_timestamp_seconds",
            "When the deploy judged by the gate happened (unix seconds).",
            samples=(({}, deployed_at),),
        ),
        one_hot(
            "deploy_gate_result",
            "The gate's verdict: 1 for the one reached.",
            "result",
            verdict,
            VERDICTS,
        ),
        one_hot(
            "deploy_gate_action",
            "The gate's decision: 1 for the one taken.",
            "action",
            action,
            ACTIONS,
        ),
        Metric(
            "deploy_gate_finished_timestamp_seconds",
            "When the gate reached its verdict (unix seconds).",
            samples=(({}, finished_at),),
        ),
        Metric(RUNS, "Gate runs for this group.", "counter", (({}, runs),)),
        Metric(FAILURES, "Gate runs that ended in fail.", "counter", (({}, failures),)),
    ]


def previous_counts(
    transport: Transport,
    base_url: str,
    labels: Mapping[str, str],
    *,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[float, float]:
    """(runs, failures) the group holds now, from the Pushgateway's ``/api/v1/metrics``."""
    response = transport.request(
        "GET", f"{base_url.rstrip('/')}/api/v1/metrics", headers=headers, auth=auth, what=WHAT
    )
    hint = "check the Pushgateway URL (version 1.0 or later has /api/v1/metrics)"
    raise_for_refusal(response, f"{WHAT}: reading the current groups", hint=hint, limit=200)
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise failure(
            f"{WHAT}: reading the current groups: the answer is not the Pushgateway's JSON: "
            f"{response.excerpt(200)}",
            hint=hint,
        )
    for group in body["data"]:
        if isinstance(group, dict) and group.get("labels") == dict(labels):
            return _counter(group, RUNS), _counter(group, FAILURES)
    return 0.0, 0.0


def _counter(group: dict[str, object], name: str) -> float:
    family = group.get(name)
    samples = family.get("metrics") if isinstance(family, dict) else None
    if not isinstance(samples, list) or not samples or not isinstance(samples[0], dict):
        return 0.0
    try:
        value = float(samples[0].get("value", 0))
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) and value >= 0 else 0.0


def push(
    transport: Transport,
    base_url: str,
    path: str,
    body: str,
    *,
    method: str = "PUT",
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send ``body`` to the group at ``path``: PUT replaces the group, POST the named metrics."""
    response = transport.request(
        method,
        f"{base_url.rstrip('/')}{path}",
        data=body.encode(),
        headers={**(headers or {}), "Content-Type": CONTENT_TYPE},
        auth=auth,
        what=WHAT,
    )
    raise_for_refusal(
        response,
        f"{WHAT}: pushing to {path}",
        hint="check the Pushgateway URL and that no other job pushes the same metric names "
        "with other types",
    )


def push_deploy(
    transport: Transport,
    base_url: str,
    *,
    service: str,
    deployed_at: float,
    verdict: str,
    action: str,
    finished_at: float | None = None,
    job: str = JOB,
    grouping: Mapping[str, str] | None = None,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Push one gate run for ``service``; the group's path (for the report)."""
    labels = {"service": service, **(grouping or {})}
    path = group_path(job, labels)
    runs, failures = previous_counts(
        transport, base_url, {"job": job, **labels}, auth=auth, headers=headers
    )
    metrics = deploy_metrics(
        deployed_at=deployed_at,
        verdict=verdict,
        action=action,
        finished_at=time.time() if finished_at is None else finished_at,
        runs=runs + 1,
        failures=failures + (verdict == "fail"),
    )
    push(transport, base_url, path, exposition(metrics), auth=auth, headers=headers)
    return path
