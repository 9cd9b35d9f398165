"""Canary against baseline: one observation window's two samples, judged as Kayenta's
Mann–Whitney classifier judges them.

Each observation takes every point of the canary's query (``query``) and of the old
version's (``baseline_query``) inside its window, pooled over their series, and runs a
two-sided Mann–Whitney U test (SciPy's ``mannwhitneyu``: exact for small samples without
ties, else the normal approximation with tie and continuity corrections, as R's
``wilcox.test``). It fails only when both hold:

- the difference is significant: ``p < 1 - confidence``;
- the canary is worse by more than ``tolerance``: the relative change of its median from the
  baseline's median, in the bad ``direction``.

A significant difference that is small, or in the good direction, passes: a gate should stop
a deploy for a change that matters, not for one the test can merely detect. NaN and ±Inf
points are dropped first (a division by zero is no sample); fewer than ``min_samples``
finite points on either side is inconclusive, never a failure; no point at all on a side is
no data, which is what ``on_no_data`` says (as for every other check).

The effect is the relative change of the medians, not the Hodges–Lehmann shift: it is read
straight from the two medians the report shows, costs O(n) where the shift needs all n × m
differences, and is robust to the outliers the U test is robust to. A baseline median of 0
has no relative change: a canary median of 0 too is no change (effect 0), any other is an
infinite change in its direction, so it fails when significant and in the bad direction.

SciPy is imported here only, when a comparison is judged, and installed on demand where it
is missing (:func:`cibridge.config.on_demand.require_stats`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from cibridge.gate.results import Compared, Observation, Verdict, number
from cibridge.gate.settings import Comparison, MetricCheck

# Two floats printed the same (110 vs 100 is 0.1000...09) are not "more than" 10%.
_EPSILON = 1e-12


def u_test(canary: Sequence[float], baseline: Sequence[float]) -> tuple[float, float]:
    """The U statistic of ``canary`` and the two-sided p-value (SciPy's defaults, which
    match R's ``wilcox.test(canary, baseline)``). All points equal on both sides give no
    p-value in SciPy: no evidence of a difference, so p = 1."""
    from cibridge.config import on_demand

    on_demand.require_stats()
    from scipy.stats import mannwhitneyu  # type: ignore[import-untyped]  # no stubs shipped

    result = mannwhitneyu(list(canary), list(baseline), alternative="two-sided")
    statistic, p_value = float(result.statistic), float(result.pvalue)
    return statistic, 1.0 if math.isnan(p_value) else p_value


def relative_change(canary_median: float, baseline_median: float) -> float:
    """The canary median's change as a share of the baseline median (0.1 = 10% higher)."""
    change = canary_median - baseline_median
    if baseline_median == 0:
        return 0.0 if change == 0 else math.copysign(math.inf, change)
    return change / abs(baseline_median)


def worse(comparison: Comparison, effect: float) -> bool:
    """Whether ``effect`` is beyond the tolerance in the direction the check calls worse."""
    limit = comparison.tolerance + _EPSILON
    if comparison.direction == "increase":
        return effect > limit
    if comparison.direction == "decrease":
        return -effect > limit
    return abs(effect) > limit


def effect_text(effect: float | None) -> str:
    if effect is None:
        return ""
    if math.isinf(effect):
        return "+Inf%" if effect > 0 else "-Inf%"
    return f"{effect * 100:+.1f}%"


def observe(
    check: MetricCheck, canary: Sequence[float], baseline: Sequence[float], at: float
) -> Observation:
    """One window's verdict: ``canary`` and ``baseline`` are every point of the window,
    pooled over series (NaN and ±Inf included: they are dropped and counted here)."""
    comparison = check.comparison
    assert comparison is not None
    if not canary or not baseline:
        side = "canary (query)" if not canary else "baseline (baseline_query)"
        why = f"no data for the {side} (on_no_data: {check.on_no_data})"
        return Observation(at, check.on_no_data, why)
    kept = [value for value in canary if math.isfinite(value)]
    base = [value for value in baseline if math.isfinite(value)]
    dropped = (len(canary) - len(kept)) + (len(baseline) - len(base))
    note = f"; {dropped} NaN/Inf point(s) left out" if dropped else ""
    if len(kept) < comparison.min_samples or len(base) < comparison.min_samples:
        stats = Compared(_median(kept), _median(base), len(kept), len(base))
        why = (
            f"too few points to compare: {len(kept)} canary, {len(base)} baseline "
            f"(min_samples {comparison.min_samples}){note}"
        )
        return Observation(at, "inconclusive", why, _value(stats), compared=stats)
    canary_median, baseline_median = statistics.median(kept), statistics.median(base)
    _u, p_value = u_test(kept, base)
    effect = relative_change(canary_median, baseline_median)
    stats = Compared(canary_median, baseline_median, len(kept), len(base), p_value, effect)
    verdict, reason = _verdict(comparison, p_value, effect)
    why = (
        f"canary median {number(canary_median)} vs baseline {number(baseline_median)} "
        f"({effect_text(effect)}), p = {p_value:.3g} ({len(kept)} vs {len(base)} points): "
        f"{reason}{note}"
    )
    return Observation(at, verdict, why, canary_median, compared=stats)


def _verdict(comparison: Comparison, p_value: float, effect: float) -> tuple[Verdict, str]:
    alpha = 1 - comparison.confidence
    allowed = f"{comparison.tolerance * 100:g}%"
    if not p_value < alpha:
        return "pass", f"no significant difference (p ≥ {alpha:.3g})"
    if worse(comparison, effect):
        bad = {"increase": "higher", "decrease": "lower", "either": "different"}
        return "fail", (
            f"canary is significantly {bad[comparison.direction]} by more than {allowed} "
            f"(p < {alpha:.3g})"
        )
    within = f"not worse by more than {allowed} (direction: {comparison.direction})"
    return "pass", f"significant, but {within}"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def _value(stats: Compared) -> float | None:
    return stats.canary_median if math.isfinite(stats.canary_median) else None
