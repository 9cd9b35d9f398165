"""A Prometheus Pushgateway: metric families in its text format, pushed to a group.

A group is ``/metrics/job/<job>[/<label>/<value>...]``; values that cannot sit in a URL path
segment (``/``, spaces, empty) go base64url-encoded as ``<label>@base64/<value>``, the
Pushgateway's own rule. ``PUT`` replaces the group whole, ``POST`` the named families.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError, failure
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Transport

WHAT = "Pushgateway"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~:-]+")
# Labels the Pushgateway sets itself, so a grouping label may not take their name.
RESERVED_LABELS = frozenset({"job", "instance"})


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


def group_path(
    job: str, grouping: Mapping[str, str], reserved: frozenset[str] = RESERVED_LABELS
) -> str:
    """``/metrics/job/<job>/<label>/<value>...``, values encoded as the Pushgateway reads them."""
    if not job:
        raise CibridgeError(
            f"{WHAT}: the job name is empty", hint="name the job, e.g. cibridge_gate"
        )
    parts = [_segment("job", job)]
    for name, value in grouping.items():
        if not _LABEL_NAME.fullmatch(name) or name.startswith("__") or name in reserved:
            raise CibridgeError(
                f"{WHAT}: {name!r} cannot be a grouping label",
                hint=f"use letters, digits and _; not {', '.join(sorted(reserved))}",
            )
        parts.append(_segment(name, value))
    return "/metrics/" + "/".join(parts)


def one_hot(name: str, help_text: str, label: str, chosen: str, options: Sequence[str]) -> Metric:
    if chosen not in options:
        raise CibridgeError(f"{WHAT}: {label} {chosen!r} is not one of {', '.join(options)}")
    samples = tuple(({label: option}, 1.0 if option == chosen else 0.0) for option in options)
    return Metric(name, help_text, "gauge", samples)


def groups(
    transport: Transport,
    base_url: str,
    *,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The groups the Pushgateway holds now, from its ``/api/v1/metrics`` (1.0 and later)."""
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
    return [group for group in body["data"] if isinstance(group, dict)]


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
