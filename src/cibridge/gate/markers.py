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

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cibridge.clients.pushgateway import Metric, exposition, group_path, groups, one_hot, push
from cibridge.gate.results import VERDICTS

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

JOB = "cibridge_gate"
ACTIONS = ("none", "alert", "rollback")
RUNS = "deploy_gate_runs_total"
FAILURES = "deploy_gate_failures_total"
# Labels the pushed samples carry themselves, so a grouping label may not take their name.
OWN_LABELS = frozenset({"job", "instance", "result", "action"})


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
    """(runs, failures) the group holds now."""
    for group in groups(transport, base_url, auth=auth, headers=headers):
        if group.get("labels") == dict(labels):
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
    path = group_path(job, labels, OWN_LABELS)
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
