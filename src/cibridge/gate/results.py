"""What the gate found: one result per check and the gate's own verdict and action.

Health checks and metric checks end in the same shape, so one reporting path (table, JUnit,
JSON, chart) serves both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from cibridge.core.errors import EXIT_FAILURE, EXIT_OK

Verdict = Literal["pass", "fail", "inconclusive", "error"]
GateAction = Literal["none", "alert", "rollback"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "inconclusive", "error")
ICONS = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "error": "💥"}


@dataclass(frozen=True)
class Compared:
    """What a canary comparison measured in one observation window."""

    canary_median: float
    baseline_median: float
    canary_points: int  # finite points tested
    baseline_points: int
    p_value: float | None = None  # None: too few points to test
    effect: float | None = None  # relative change of the median, canary vs baseline


@dataclass
class Observation:
    """One evaluation of a check at one moment."""

    at: float  # unix seconds
    verdict: Verdict
    why: str
    value: float | None = None  # the value shown: the single series, or the worst offender
    offenders: list[str] = field(default_factory=list)  # '{labels} = value' per failing series
    fatal: bool = False  # an error that trying again cannot fix (a bad query)
    compared: Compared | None = None  # a canary comparison's numbers


@dataclass
class CheckResult:
    name: str
    kind: Literal["metric", "http", "tcp"]
    target: str  # the rendered query, URL or host:port
    threshold: str
    verdict: Verdict
    why: str
    failure_action: str
    critical: bool = False
    value: str = ""
    observations: list[Observation] = field(default_factory=list)
    failed_observations: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    limit: float | None = None  # the line a chart draws (max_value, min_value or expected)

    @property
    def blocking(self) -> bool:
        return self.failure_action in ("rollback", "fail")


@dataclass
class GateResult:
    checks: list[CheckResult]
    verdict: Verdict
    action: GateAction
    why: str
    rollback_pipeline: str = ""
    started: float = 0.0
    finished: float = 0.0
    deployed_at: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.verdict == "pass" else EXIT_FAILURE


def number(value: float | None) -> str:
    """A value as a table shows it: 4 significant digits, NaN and ±Inf spelt out."""
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.4g}"
