"""Verdicts from query results: thresholds, NaN and no data, several series, the baseline
floor, and how observations add up to a check's verdict."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cibridge.clients.prometheus import Answer, QueryError, Series
from cibridge.gate.evaluate import (
    Tally,
    baseline_means,
    error_observation,
    instant_samples,
    judge,
    moments,
    observe,
)
from cibridge.gate.results import Observation
from cibridge.gate.settings import Baseline, Bound
from tests.gate.helpers import metric

JOB = (("job", "api"),)


@pytest.mark.parametrize(
    ("fields", "value", "verdict", "why"),
    [
        ({"expected_value": 1.0}, 1.0, "pass", "within"),
        ({"expected_value": 1.0}, 0.0, "fail", "0 is not 1 ± 0"),
        ({"expected_value": 100.0, "tolerance": Bound(0.05, True)}, 104.0, "pass", ""),
        ({"expected_value": 100.0, "tolerance": Bound(0.05, True)}, 106.0, "fail", "± 5%"),
        ({"max_value": 0.5}, 0.5, "pass", ""),
        ({"max_value": 0.5}, 0.51, "fail", "0.51 > max_value 0.5"),
        ({"max_value": 0.5}, math.inf, "fail", "+Inf > max_value"),
        ({"min_value": 10.0}, 9.0, "fail", "9 < min_value 10"),
        ({"max_value": 0.5}, math.nan, "inconclusive", "NaN"),
        ({"max_value": 0.5, "on_nan": "fail"}, math.nan, "fail", "on_nan: fail"),
        ({"max_value": 0.5, "on_nan": "pass"}, math.nan, "pass", "NaN"),
        # An infinity beyond no bound is still no evidence of health.
        ({"max_value": 0.5}, -math.inf, "inconclusive", "not a finite number"),
        ({"min_value": 10.0}, math.inf, "inconclusive", "not a finite number"),
        ({"min_value": 10.0}, -math.inf, "fail", "< min_value 10"),
        ({"max_value": 0.5, "on_nan": "fail"}, -math.inf, "fail", "on_nan: fail"),
    ],
)
def test_judge(fields: dict[str, object], value: float, verdict: str, why: str) -> None:
    assert judge(metric(**fields), value, None)[0] == verdict
    assert why in judge(metric(**fields), value, None)[1]


@pytest.mark.parametrize("policy", ["pass", "fail", "inconclusive"])
def test_no_data_is_what_on_no_data_says(policy: str) -> None:
    seen = observe(metric(max_value=1.0, on_no_data=policy), [], 100.0)
    assert seen.verdict == policy and "no data" in seen.why


def test_no_data_is_inconclusive_by_default() -> None:
    assert observe(metric(max_value=1.0), [], 0.0).verdict == "inconclusive"


def test_every_series_is_judged_and_offenders_named() -> None:
    samples = [
        ((("pod", "b"),), 0.2),
        ((("pod", "a"),), 0.9),
        ((("pod", "c"),), 0.7),
    ]
    seen = observe(metric(max_value=0.5), samples, 0.0)
    assert seen.verdict == "fail" and seen.value == 0.9
    assert seen.why.startswith('2 of 3 series failed; worst {pod="a"}: 0.9 > max_value 0.5')
    assert seen.offenders == [
        '{pod="a"}: 0.9 > max_value 0.5',
        '{pod="c"}: 0.7 > max_value 0.5',
    ]


def test_combine_any_passes_when_one_series_passes() -> None:
    samples = [((("pod", "a"),), 0.9), ((("pod", "b"),), 0.1)]
    assert observe(metric(max_value=0.5, combine="any"), samples, 0.0).verdict == "pass"
    worse = [((("pod", "a"),), 0.9), ((("pod", "b"),), 0.8)]
    assert observe(metric(max_value=0.5, combine="any"), worse, 0.0).verdict == "fail"


def test_a_nan_series_makes_all_inconclusive_not_pass() -> None:
    samples = [((("pod", "a"),), 0.1), ((("pod", "b"),), math.nan)]
    assert observe(metric(max_value=0.5), samples, 0.0).verdict == "inconclusive"


BASELINE = Baseline(window=1800, max_increase=Bound(0.1, True), min_delta=0.001)


def test_baseline_increase_beyond_the_allowance_fails() -> None:
    check = metric(baseline=BASELINE)
    verdict, why = judge(check, 0.2, 0.1)
    assert verdict == "fail" and "+100.0% over the baseline 0.1" in why
    assert judge(check, 0.109, 0.1)[0] == "pass"


def test_min_delta_keeps_a_near_zero_baseline_from_failing_everything() -> None:
    check = metric(baseline=BASELINE)
    # 0.0001 -> 0.0009 is +800%, but smaller than the 0.001 floor.
    assert judge(check, 0.0009, 0.0001)[0] == "pass"
    assert judge(check, 0.0009, 0.0)[0] == "pass"
    assert judge(check, 0.0021, 0.0001)[0] == "fail"


def test_baseline_decrease() -> None:
    check = metric(baseline=Baseline(window=60, max_decrease=Bound(0.2, True)))
    assert judge(check, 70.0, 100.0)[0] == "fail"
    assert judge(check, 90.0, 100.0)[0] == "pass"
    assert judge(check, 500.0, 100.0)[0] == "pass"  # only decreases are limited


def test_no_baseline_data_is_inconclusive_and_thresholds_still_apply() -> None:
    check = metric(baseline=BASELINE, max_value=1.0)
    assert judge(check, 0.5, None)[0] == "inconclusive"
    assert judge(check, 2.0, None)[0] == "fail"


def test_baseline_series_matched_by_labels_or_the_single_one() -> None:
    answer = Answer([Series(JOB, [(0, 1.0), (1, 3.0), (2, math.nan)]), Series((), [])])
    means = baseline_means(answer)
    assert means == {JOB: 2.0}
    check = metric(baseline=BASELINE)
    # A new label set after the deploy still compares with the one aggregated series.
    seen = observe(check, [((("job", "api"), ("pod", "new")), 2.1)], 0.0, means)
    assert seen.verdict == "pass"
    two = {JOB: 1.0, (("job", "web"),): 1.0}
    assert observe(check, [((("job", "x"),), 5.0)], 0.0, two).verdict == "inconclusive"


def test_moments_group_a_matrix_by_tick() -> None:
    answer = Answer(
        [Series(JOB, [(100.0, 1.0), (130.0, 0.0)]), Series((("job", "b"),), [(130.0, 1.0)])]
    )
    grouped = moments(answer, [100.0, 130.0, 160.0])
    assert grouped == [
        (100.0, [(JOB, 1.0)]),
        (130.0, [(JOB, 0.0), ((("job", "b"),), 1.0)]),
        (160.0, []),
    ]


def obs(verdict: str) -> Observation:
    return Observation(0.0, verdict, verdict)  # type: ignore[arg-type]


def test_fail_after_counts_failures_in_a_row() -> None:
    tally = Tally(metric(max_value=1.0, fail_after=2))
    for verdict in ("fail", "pass", "fail", "inconclusive"):
        tally.add(obs(verdict))
    assert not tally.done
    tally.add(obs("pass"))
    tally.add(obs("fail"))
    tally.add(obs("fail"))
    assert tally.done and tally.final() == ("fail", "fail (2 failed observations in a row)")
    assert tally.failed == 4


def test_critical_fails_at_the_first_failure() -> None:
    tally = Tally(metric(max_value=1.0, critical=True, fail_after=5))
    tally.add(obs("pass"))
    tally.add(obs("fail"))
    assert tally.done and tally.final()[0] == "fail" and "critical" in tally.final()[1]


def test_scattered_failures_below_fail_after_pass_with_a_note() -> None:
    tally = Tally(metric(max_value=1.0, fail_after=3))
    for verdict in ("pass", "fail", "pass", "fail", "pass"):
        tally.add(obs(verdict))
    verdict, why = tally.final()
    assert verdict == "pass" and "2 failed, fewer than 3 in a row" in why


def test_mostly_no_data_is_inconclusive() -> None:
    tally = Tally(metric(max_value=1.0))
    for verdict in ("inconclusive", "inconclusive", "pass"):
        tally.add(obs(verdict))
    assert tally.final()[0] == "inconclusive"
    tally.add(obs("pass"))
    assert tally.final()[0] == "pass"


def test_an_error_is_never_a_pass_and_a_bad_query_stops_at_once() -> None:
    tally = Tally(metric(max_value=1.0))
    tally.add(obs("pass"))
    tally.add(
        error_observation(
            5.0, QueryError("Prometheus answered HTTP 503 unavailable", "unavailable")
        )
    )
    assert not tally.done
    tally.add(obs("pass"))
    assert tally.final() == (
        "error",
        "1 of 3 queries failed: Prometheus answered HTTP 503 unavailable",
    )
    bad = Tally(metric(max_value=1.0))
    bad.add(error_observation(5.0, QueryError("bad_data: parse error", "bad_data", "fix it")))
    assert bad.done and bad.final() == ("error", "bad_data: parse error (hint: fix it)")
    assert bad.failed == 0


def test_label_values_are_escaped_so_they_cannot_start_a_log_line() -> None:
    hostile = (("pod", 'a"\n::error::forged\\'),)
    seen = observe(metric(max_value=0.5), [(hostile, 0.9)], 0.0)
    assert seen.offenders == ['{pod="a\\"\\n::error::forged\\\\"}: 0.9 > max_value 0.5']
    assert "\n" not in seen.offenders[0]


@given(
    st.lists(st.sampled_from(["pass", "fail", "inconclusive", "error"]), max_size=30),
    st.integers(min_value=1, max_value=5),
    st.booleans(),
)
@settings(derandomize=True, max_examples=300)
def test_tally_invariants(verdicts: list[str], fail_after: int, critical: bool) -> None:
    tally = Tally(metric(max_value=1.0, fail_after=fail_after, critical=critical))
    for verdict in verdicts:
        tally.add(obs(verdict))
    final, _why = tally.final()
    runs = "".join("F" if v == "fail" else "P" if v == "pass" else "-" for v in verdicts)
    longest = max((len(r) for r in runs.replace("P", " ").replace("-", "").split()), default=0)
    needed = 1 if critical else fail_after
    # Failing is exactly: that many failures with no pass between them.
    assert (final == "fail") == (longest >= needed)
    if final == "pass":
        assert "error" not in verdicts and verdicts.count("pass") >= verdicts.count("inconclusive")
    assert tally.failed == verdicts.count("fail")


def test_stale_series_are_left_out_and_named() -> None:
    answer = Answer(
        [
            Series((("pod", "a"),), [(1000.0, 0.001)]),
            Series((("pod", "b"),), [(0.0, 0.001)]),
            Series((("pod", "c"),), [(900.0, 0.001)]),
        ]
    )
    samples, stale = instant_samples(answer, 1000.0, 30.0)
    assert samples == [((("pod", "a"),), 0.001)]
    assert stale.startswith('2 stale, the oldest ({pod="b"}) is 16m40s old (stamped 1970-')
    observation = observe(metric(max_value=0.01), samples, 1000.0, stale=stale)
    assert observation.verdict == "pass" and observation.why.endswith("; left out: " + stale)
