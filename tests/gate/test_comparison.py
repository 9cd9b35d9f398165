"""The canary comparison: the U test against published values, an A/A run that never fails,
and the verdict rules (significance and effect, direction, too few points, NaN, zero)."""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys

import pytest

from cibridge.gate import comparison
from cibridge.gate.comparison import observe, relative_change, u_test
from cibridge.gate.settings import Comparison, MetricCheck
from tests.gate.helpers import metric


def canary_check(**settings: object) -> MetricCheck:
    return metric(
        name="latency", query="canary", baseline_query="baseline", comparison=Comparison(**settings)
    )


# --- the statistics, against R's wilcox.test ------------------------------------------------
# The values below are the ones SciPy's own suite checks mannwhitneyu against (scipy/stats/
# tests/test_hypotests.py, class TestMannWhitneyU: "All magic numbers are from R
# wilcox.test"), with R's default continuity correction.

# gh-9184 (R: wilcox.test(x, y, alternative = "two.sided", exact = TRUE)): y has 5 points and
# no ties, so SciPy's method="auto" computes the exact distribution, as R does.
GH_9184_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
GH_9184_Y = [1.15, 0.88, 0.90, 0.74, 1.21]
# test_basic (gh-4933; R: wilcox.test(x, y, exact=TRUE)): 3 against 13 points, exact.
BASIC_X = [210.052110, 110.190630, 307.918612]
BASIC_Y = [
    436.08811482466416, 416.37397329768191, 179.96975939463582, 197.8118754228619,
    34.038757281225756, 138.54220550921517, 128.7769351470246, 265.92721427951852,
    275.6617533155341, 592.34083395416258, 448.73177590617018, 300.61495185038905,
    187.97508449019588,
]  # fmt: skip


@pytest.mark.parametrize(
    ("canary", "baseline", "statistic", "p_value"),
    [
        (GH_9184_X, GH_9184_Y, 35.0, 0.2544122544123),
        (BASIC_X, BASIC_Y, 16.0, 0.7035714285714),
        (BASIC_Y, BASIC_X, 23.0, 0.7035714285714),  # U is the first sample's; p is symmetric
        # test_tie_correct (R: wilcox.test(x, y, exact=FALSE)): ties, so the normal
        # approximation with the tie and continuity corrections.
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0], 8.0, 0.7086240584439),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.01, 4.0, 5.0], 7.5, 0.6197963884941),
        # cases_2118 (U = m·n/2): R's two-sided p-value is exactly 1, never above
        ([1.0, 2.0], [1.0, 2.0], 2.0, 1.0),
    ],
)
def test_u_test_matches_r(
    canary: list[float], baseline: list[float], statistic: float, p_value: float
) -> None:
    u, p = u_test(canary, baseline)
    assert u == statistic
    assert p == pytest.approx(p_value, rel=1e-9)


def test_the_large_sample_approximation_is_the_textbook_one() -> None:
    """40 against 40 points without ties, past the exact method's reach: the normal
    approximation of any textbook (mean m·n/2, variance m·n·(m+n+1)/12, continuity 0.5)."""
    canary = [float(v) for v in range(1, 41)]
    baseline = [v + 10.5 for v in canary]
    u, p = u_test(canary, baseline)
    assert u == sum(range(1, 30))  # pairs with canary i > baseline j + 10.5: i - j >= 11
    z = (abs(u - 40 * 40 / 2) - 0.5) / math.sqrt(40 * 40 * 81 / 12)
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


def test_all_points_equal_is_no_evidence() -> None:
    assert u_test([5.0] * 12, [5.0] * 12)[1] == 1.0


# --- the effect ----------------------------------------------------------------------------


def test_relative_change_and_the_zero_median_rule() -> None:
    assert relative_change(110, 100) == pytest.approx(0.1)
    assert relative_change(90, -100) == pytest.approx(1.9)  # as a share of |baseline|
    assert relative_change(0, 0) == 0
    assert relative_change(0.2, 0) == math.inf
    assert relative_change(-1, 0) == -math.inf


# --- verdicts ------------------------------------------------------------------------------


def _normal(rng: random.Random, mean: float, sd: float, n: int) -> list[float]:
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_an_aa_run_never_fails() -> None:
    """The same distribution both sides, 200 windows with a fixed seed: the test rejects
    about as often as its level says (it is calibrated), yet no window fails, because a
    rejection by chance is never a large change."""
    rng = random.Random(16_5)
    check = canary_check(confidence=0.95, tolerance=0.1)
    observations = [
        observe(check, _normal(rng, 100, 10, 30), _normal(rng, 100, 10, 30), float(at))
        for at in range(200)
    ]
    assert [o.verdict for o in observations] == ["pass"] * 200
    p_values = [o.compared.p_value for o in observations if o.compared]
    rejected = sum(1 for p in p_values if p is not None and p < 0.05)
    assert len(p_values) == 200 and 2 <= rejected <= 20  # 10 expected


def test_a_real_shift_beyond_tolerance_fails_with_the_numbers() -> None:
    rng = random.Random(1)
    check = canary_check(confidence=0.99, tolerance=0.1)
    seen = observe(check, _normal(rng, 130, 10, 40), _normal(rng, 100, 10, 40), 0.0)
    assert seen.verdict == "fail"
    assert seen.compared is not None and seen.compared.p_value is not None
    assert seen.compared.p_value < 0.01 and seen.compared.effect == pytest.approx(0.3, abs=0.08)
    assert seen.value == seen.compared.canary_median
    assert "significantly higher by more than 10%" in seen.why
    assert f"baseline {seen.compared.baseline_median:.4g}" in seen.why


def test_a_significant_shift_within_tolerance_passes() -> None:
    rng = random.Random(2)
    check = canary_check(tolerance=0.1)
    seen = observe(check, _normal(rng, 105, 1, 50), _normal(rng, 100, 1, 50), 0.0)
    assert seen.compared is not None and seen.compared.p_value is not None
    assert seen.compared.p_value < 1e-6
    assert seen.verdict == "pass" and "not worse by more than 10%" in seen.why


def test_without_tolerance_any_significant_increase_fails() -> None:
    rng = random.Random(3)
    seen = observe(canary_check(), _normal(rng, 105, 1, 50), _normal(rng, 100, 1, 50), 0.0)
    assert seen.verdict == "fail"


@pytest.mark.parametrize(
    ("direction", "canary_mean", "verdict"),
    [
        ("increase", 130, "fail"),
        ("increase", 70, "pass"),  # fewer errors is no reason to roll back
        ("decrease", 70, "fail"),  # e.g. throughput or success rate
        ("decrease", 130, "pass"),
        ("either", 70, "fail"),
        ("either", 130, "fail"),
    ],
)
def test_direction(direction: str, canary_mean: float, verdict: str) -> None:
    rng = random.Random(4)
    check = canary_check(direction=direction, tolerance=0.1)
    seen = observe(check, _normal(rng, canary_mean, 5, 30), _normal(rng, 100, 5, 30), 0.0)
    assert seen.verdict == verdict, seen.why


def test_a_baseline_median_of_zero_fails_on_any_significant_rise() -> None:
    check = canary_check(tolerance=5.0)  # 500%: no relative tolerance covers a rise from 0
    seen = observe(check, [0.01 * (i % 3 + 1) for i in range(20)], [0.0] * 20, 0.0)
    assert seen.verdict == "fail" and "+Inf%" in seen.why
    assert seen.compared is not None and seen.compared.effect == math.inf
    same = observe(check, [0.0] * 20, [0.0] * 20, 0.0)
    assert same.verdict == "pass" and same.compared and same.compared.effect == 0


def test_too_few_points_is_inconclusive_never_a_failure() -> None:
    check = canary_check(min_samples=10)
    seen = observe(check, [500.0] * 9, [1.0, 2.0] * 10, 0.0)
    assert seen.verdict == "inconclusive"
    assert "9 canary, 20 baseline (min_samples 10)" in seen.why
    assert seen.compared is not None and seen.compared.p_value is None


@pytest.mark.parametrize("policy", ["pass", "fail", "inconclusive"])
def test_no_data_on_a_side_is_what_on_no_data_says(policy: str) -> None:
    check = canary_check()
    from dataclasses import replace

    check = replace(check, on_no_data=policy)  # type: ignore[arg-type]
    assert observe(check, [], [1.0] * 20, 0.0).verdict == policy
    baseline_missing = observe(check, [1.0] * 20, [], 0.0)
    assert (
        baseline_missing.verdict == policy and "baseline (baseline_query)" in baseline_missing.why
    )


def test_nan_and_inf_points_are_dropped_and_counted() -> None:
    rng = random.Random(5)
    canary = [*_normal(rng, 130, 5, 20), math.nan, math.inf, -math.inf]
    seen = observe(canary_check(tolerance=0.1), canary, _normal(rng, 100, 5, 20), 0.0)
    assert seen.verdict == "fail" and "3 NaN/Inf point(s) left out" in seen.why
    assert seen.compared is not None and seen.compared.canary_points == 20
    only_nan = observe(canary_check(), [math.nan] * 30, [1.0] * 30, 0.0)
    assert only_nan.verdict == "inconclusive" and only_nan.value is None


def test_a_thousand_points_a_side() -> None:
    rng = random.Random(6)
    check = canary_check(tolerance=0.02)
    canary, baseline = _normal(rng, 103, 10, 1000), _normal(rng, 100, 10, 1000)
    seen = observe(check, canary, baseline, 0.0)
    assert seen.verdict == "fail"
    assert seen.compared is not None
    assert seen.compared.canary_median == statistics.median(canary)
    assert (seen.compared.canary_points, seen.compared.baseline_points) == (1000, 1000)


def test_the_gate_never_imports_scipy_before_a_comparison() -> None:
    probe = (
        "import sys; import cibridge.cli.main, cibridge.gate.service, cibridge.gate.summary, "
        "cibridge.gate.comparison; print('scipy' in sys.modules or 'numpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_effect_text() -> None:
    assert comparison.effect_text(0.1234) == "+12.3%"
    assert comparison.effect_text(-math.inf) == "-Inf%"
    assert comparison.effect_text(None) == ""
