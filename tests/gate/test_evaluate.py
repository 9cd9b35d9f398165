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


@pytest.mark.parametrize(
    ("fields", "value", "verdict", "why"),
    [
        # An absolute tolerance is the allowed distance itself, whatever the expected value.
        (
            {"expected_value": 100.0, "tolerance": Bound(0.5)},
            100.5,
            "pass",
            "100.5 within = 100 ± 0.5",
        ),
        (
            {"expected_value": 100.0, "tolerance": Bound(0.5)},
            99.5,
            "pass",
            "99.5 within = 100 ± 0.5",
        ),
        (
            {"expected_value": 100.0, "tolerance": Bound(0.5)},
            100.6,
            "fail",
            "100.6 is not 100 ± 0.5",
        ),
        ({"expected_value": 100.0, "tolerance": Bound(0.5)}, 99.4, "fail", "99.4 is not 100 ± 0.5"),
        # A relative one is a share of the expected value's size, also when it is negative.
        (
            {"expected_value": 8.0, "tolerance": Bound(0.25, True)},
            10.0,
            "pass",
            "10 within = 8 ± 25%",
        ),
        (
            {"expected_value": 8.0, "tolerance": Bound(0.25, True)},
            10.01,
            "fail",
            "10.01 is not 8 ± 25%",
        ),
        (
            {"expected_value": -8.0, "tolerance": Bound(0.25, True)},
            -6.0,
            "pass",
            "-6 within = -8 ± 25%",
        ),
        (
            {"expected_value": -8.0, "tolerance": Bound(0.25, True)},
            -5.9,
            "fail",
            "-5.9 is not -8 ± 25%",
        ),
        ({"expected_value": 0.0}, 0.0, "pass", "0 within = 0 ± 0"),
        ({"expected_value": 0.0}, 1e-9, "fail", "1e-09 is not 0 ± 0"),
        ({"min_value": 10.0}, 10.0, "pass", "10 within >= 10"),
        ({"min_value": 10.0}, 9.999, "fail", "9.999 < min_value 10"),
        ({"max_value": 0.5}, 0.5, "pass", "0.5 within <= 0.5"),
        ({"max_value": 0.5}, 0.5001, "fail", "0.5001 > max_value 0.5"),
        ({"min_value": 1.0, "max_value": 2.0}, 1.5, "pass", "1.5 within >= 1, <= 2"),
        ({"min_value": 1.0, "max_value": 2.0}, 0.5, "fail", "0.5 < min_value 1"),
        ({"min_value": 1.0, "max_value": 2.0}, 2.5, "fail", "2.5 > max_value 2"),
        # The expected value is judged first.
        ({"expected_value": 1.0, "max_value": 0.5}, 3.0, "fail", "3 is not 1 ± 0"),
        ({"expected_value": 1.0, "max_value": 0.5}, 1.0, "fail", "1 > max_value 0.5"),
        ({"max_value": 0.5}, math.nan, "inconclusive", "value is NaN (on_nan: inconclusive)"),
        (
            {"max_value": 0.5},
            -math.inf,
            "inconclusive",
            "value is -Inf, not a finite number (on_nan: inconclusive)",
        ),
        (
            {"min_value": 0.5, "on_nan": "pass"},
            math.inf,
            "pass",
            "value is +Inf, not a finite number (on_nan: pass)",
        ),
        (
            {"expected_value": 1.0, "tolerance": Bound(1e9)},
            math.inf,
            "fail",
            "+Inf is not 1 ± 1e+09",
        ),
        (
            {"baseline": Baseline(window=60, max_increase=Bound(0.1, True))},
            math.inf,
            "inconclusive",
            "value is +Inf, not a finite number (on_nan: inconclusive)",
        ),
    ],
)
def test_thresholds_at_their_edges(
    fields: dict[str, object], value: float, verdict: str, why: str
) -> None:
    assert judge(metric(**fields), value, 1.0) == (verdict, why)


def test_no_baseline_value_is_inconclusive_naming_the_window() -> None:
    assert judge(metric(baseline=BASELINE), 0.5, None) == (
        "inconclusive",
        "0.5: no baseline data in the baseline +10% vs 30m before, min_delta 0.001",
    )
    assert judge(metric(baseline=BASELINE), 0.5, math.nan)[0] == "inconclusive"


@pytest.mark.parametrize(
    ("baseline", "value", "base", "verdict", "why"),
    [
        # Equal to the allowance is within it; just over it fails.
        (
            Baseline(60, max_increase=Bound(0.25, True)),
            10.0,
            8.0,
            "pass",
            "10 vs baseline 8 (+25.0%)",
        ),
        (
            Baseline(60, max_increase=Bound(0.25, True)),
            10.5,
            8.0,
            "fail",
            "10.5 is +31.2% over the baseline 8 (allowed +25%, min_delta 0)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.25, True)),
            6.0,
            8.0,
            "pass",
            "6 vs baseline 8 (-25.0%)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.25, True)),
            5.5,
            8.0,
            "fail",
            "5.5 is -31.2% under the baseline 8 (allowed -25%, min_delta 0)",
        ),
        # An absolute allowance is not multiplied by the baseline.
        (
            Baseline(60, max_increase=Bound(0.5)),
            100.5,
            100.0,
            "pass",
            "100.5 vs baseline 100 (+0.5%)",
        ),
        (
            Baseline(60, max_increase=Bound(0.5)),
            100.75,
            100.0,
            "fail",
            "100.8 is +0.8% over the baseline 100 (allowed +0.5, min_delta 0)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.5)),
            99.25,
            100.0,
            "fail",
            "99.25 is -0.8% under the baseline 100 (allowed -0.5, min_delta 0)",
        ),
        # A negative baseline: the allowance is a share of its size.
        (
            Baseline(60, max_increase=Bound(0.25, True)),
            -6.0,
            -8.0,
            "pass",
            "-6 vs baseline -8 (+25.0%)",
        ),
        (
            Baseline(60, max_increase=Bound(0.25, True)),
            -5.0,
            -8.0,
            "fail",
            "-5 is +37.5% over the baseline -8 (allowed +25%, min_delta 0)",
        ),
        # A change equal to min_delta never fails; one just over it does.
        (
            Baseline(60, max_increase=Bound(0.0, True), min_delta=0.5),
            8.5,
            8.0,
            "pass",
            "8.5 vs baseline 8 (+6.2%)",
        ),
        (
            Baseline(60, max_increase=Bound(0.0, True), min_delta=0.5),
            8.75,
            8.0,
            "fail",
            "8.75 is +9.4% over the baseline 8 (allowed +0%, min_delta 0.5)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.0, True), min_delta=0.5),
            7.5,
            8.0,
            "pass",
            "7.5 vs baseline 8 (-6.2%)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.0, True), min_delta=0.5),
            7.25,
            8.0,
            "fail",
            "7.25 is -9.4% under the baseline 8 (allowed -0%, min_delta 0.5)",
        ),
        # A zero baseline: the change is shown as a difference.
        (Baseline(60, max_increase=Bound(0.5)), 0.25, 0.0, "pass", "0.25 vs baseline 0 (+0.25)"),
        (
            Baseline(60, max_increase=Bound(0.1, True)),
            0.25,
            0.0,
            "fail",
            "0.25 is +0.25 over the baseline 0 (allowed +10%, min_delta 0)",
        ),
        (
            Baseline(60, max_decrease=Bound(0.1, True)),
            -0.25,
            0.0,
            "fail",
            "-0.25 is -0.25 under the baseline 0 (allowed -10%, min_delta 0)",
        ),
        # Only the limited direction can fail.
        (Baseline(60, max_increase=Bound(0.0, True)), 1.0, 8.0, "pass", "1 vs baseline 8 (-87.5%)"),
        (
            Baseline(60, max_decrease=Bound(0.0, True)),
            80.0,
            8.0,
            "pass",
            "80 vs baseline 8 (+900.0%)",
        ),
        (
            Baseline(60, max_increase=Bound(0.0, True), max_decrease=Bound(0.0, True)),
            8.0,
            8.0,
            "pass",
            "8 vs baseline 8 (+0.0%)",
        ),
    ],
)
def test_baseline_allowances_at_their_edges(
    baseline: Baseline, value: float, base: float, verdict: str, why: str
) -> None:
    assert judge(metric(baseline=baseline), value, base) == (verdict, why)


def test_thresholds_apply_before_the_baseline() -> None:
    check = metric(baseline=Baseline(60, max_increase=Bound(1.0, True)), max_value=5.0)
    assert judge(check, 6.0, 5.9) == ("fail", "6 > max_value 5")
    assert judge(check, 4.0, 4.0) == ("pass", "4 vs baseline 4 (+0.0%)")


def test_each_series_is_compared_with_its_own_baseline() -> None:
    a, b = (("pod", "a"),), (("pod", "b"),)
    check = metric(baseline=Baseline(60, max_increase=Bound(0.1, True)))
    seen = observe(check, [(a, 10.5), (b, 10.5)], 0.0, {a: 10.0, b: 5.0})
    assert seen.verdict == "fail" and seen.value == 10.5
    assert seen.offenders == [
        '{pod="b"}: 10.5 is +110.0% over the baseline 5 (allowed +10%, min_delta 0)'
    ]
    assert observe(check, [(a, 10.5), (b, 5.2)], 0.0, {a: 10.0, b: 5.0}).verdict == "pass"


def test_a_series_without_its_own_baseline_among_several_is_inconclusive() -> None:
    a, b, c = (("pod", "a"),), (("pod", "b"),), (("pod", "c"),)
    check = metric(baseline=Baseline(60, max_increase=Bound(0.1, True)))
    seen = observe(check, [(a, 10.0), (c, 10.0)], 0.0, {a: 10.0, b: 10.0})
    assert seen.verdict == "inconclusive"
    assert seen.why == (
        '2 series, inconclusive; e.g. {pod="c"}: 10: no baseline data in the baseline +10% vs 1m before'
    )
    assert observe(check, [(a, 10.0)], 0.0, {}).verdict == "inconclusive"
    assert observe(check, [(a, 10.0)], 0.0, None).verdict == "inconclusive"
    # The single baseline series stands for whatever the one series is called now.
    assert observe(check, [(c, 30.0)], 0.0, {a: 10.0}).why.startswith(
        "30 is +200.0% over the baseline 10"
    )


def test_a_baseline_mapping_is_ignored_by_a_check_without_baseline() -> None:
    a = (("pod", "a"),)
    assert observe(metric(max_value=1.0), [(a, 0.5)], 0.0, {a: 100.0}).why == "0.5 within <= 1"


def test_baseline_means_leave_out_nan_and_infinities() -> None:
    a, b, c = (("pod", "a"),), (("pod", "b"),), (("pod", "c"),)
    answer = Answer(
        [
            Series(a, [(0, 1.0), (1, math.inf), (2, 2.0), (3, -math.inf), (4, 6.0)]),
            Series(b, [(0, math.nan), (1, math.inf)]),
            Series(c, [(0, -4.0)]),
        ]
    )
    assert baseline_means(answer) == {a: 3.0, c: -4.0}
    assert baseline_means(Answer([])) == {}


def test_a_single_series_observation_says_why_in_its_own_words() -> None:
    seen = observe(metric(max_value=0.5), [(JOB, 0.75)], 7.0)
    assert (seen.at, seen.verdict, seen.why, seen.value) == (
        7.0,
        "fail",
        "0.75 > max_value 0.5",
        0.75,
    )
    assert seen.offenders == ['{job="api"}: 0.75 > max_value 0.5']
    passed = observe(metric(max_value=0.5), [(JOB, 0.25)], 7.0)
    assert (passed.verdict, passed.why, passed.value, passed.offenders) == (
        "pass",
        "0.25 within <= 0.5",
        0.25,
        [],
    )


def test_several_passing_series_are_summed_up_with_the_first_as_example() -> None:
    samples = [((("pod", "b"),), 0.25), ((("pod", "a"),), 0.125)]
    seen = observe(metric(max_value=0.5), samples, 0.0)
    assert seen.verdict == "pass" and seen.value == 0.125
    assert seen.why == '2 series, pass; e.g. {pod="a"}: 0.125 within <= 0.5'


def test_with_combine_all_a_failure_outweighs_an_inconclusive_series() -> None:
    samples = [((("pod", "a"),), math.nan), ((("pod", "b"),), 0.75), ((("pod", "c"),), 0.25)]
    seen = observe(metric(max_value=0.5), samples, 0.0)
    assert seen.verdict == "fail" and seen.value == 0.75
    assert seen.why == '1 of 3 series failed; worst {pod="b"}: 0.75 > max_value 0.5'


def test_with_combine_all_an_inconclusive_series_is_named() -> None:
    samples = [((("pod", "a"),), 0.25), ((("pod", "b"),), math.nan)]
    seen = observe(metric(max_value=0.5), samples, 0.0)
    assert seen.why == '2 series, inconclusive; e.g. {pod="b"}: value is NaN (on_nan: inconclusive)'
    assert seen.value is not None and math.isnan(seen.value)


def test_with_combine_any_an_inconclusive_series_keeps_a_failure_from_deciding() -> None:
    check = metric(max_value=0.5, combine="any")
    samples = [((("pod", "a"),), 0.75), ((("pod", "b"),), math.nan)]
    seen = observe(check, samples, 0.0)
    assert seen.verdict == "inconclusive"
    assert seen.why == '2 series, inconclusive; e.g. {pod="b"}: value is NaN (on_nan: inconclusive)'
    assert seen.offenders == ['{pod="a"}: 0.75 > max_value 0.5']
    # One passing series is enough, whatever the others are.
    samples.append(((("pod", "c"),), 0.25))
    passed = observe(check, samples, 0.0)
    assert passed.verdict == "pass" and passed.value == 0.25
    assert passed.why == '3 series, pass; e.g. {pod="c"}: 0.25 within <= 0.5'
    assert passed.offenders == ['{pod="a"}: 0.75 > max_value 0.5']


def test_with_combine_any_all_failing_fails_on_the_worst() -> None:
    check = metric(max_value=0.5, combine="any")
    samples = [((("pod", "a"),), 0.75), ((("pod", "b"),), 2.0)]
    seen = observe(check, samples, 0.0)
    assert seen.verdict == "fail" and seen.value == 2.0
    assert seen.why == '2 of 2 series failed; worst {pod="b"}: 2 > max_value 0.5'
    only_nan = observe(check, [((("pod", "a"),), math.nan)], 0.0)
    assert only_nan.verdict == "inconclusive"


@pytest.mark.parametrize(
    ("fields", "values", "worst"),
    [
        ({"max_value": 1.0}, [3.0, 5.0, 2.0], 5.0),
        ({"min_value": 10.0}, [3.0, 1.0, 2.0], 1.0),
        ({"expected_value": 10.0}, [12.0, 5.0, 13.0], 5.0),
        ({"expected_value": 10.0}, [9.0, 13.0, 8.0], 13.0),
        ({"max_value": 1.0, "on_nan": "fail"}, [math.nan, 2.0, math.nan], 2.0),
        ({"baseline": Baseline(60, max_increase=Bound(0.1, True))}, [20.0, 30.0, 25.0], 30.0),
    ],
)
def test_the_worst_failing_series_is_reported(
    fields: dict[str, object], values: list[float], worst: float
) -> None:
    samples = [((("pod", name),), value) for name, value in zip("abc", values, strict=True)]
    seen = observe(metric(**fields), samples, 0.0, {(): 1.0})
    assert seen.verdict == "fail" and seen.value == worst
    assert len(seen.offenders) == 3


def test_nan_is_the_worst_only_when_every_failure_is_nan() -> None:
    check = metric(max_value=1.0, on_nan="fail")
    samples = [((("pod", "a"),), math.nan), ((("pod", "b"),), math.nan)]
    seen = observe(check, samples, 0.0)
    assert seen.verdict == "fail" and seen.why.startswith('2 of 2 series failed; worst {pod="a"}')


@pytest.mark.parametrize(
    ("stale", "why"),
    [("", "no data (on_no_data: fail)"), ("old", "no fresh data: old (on_no_data: fail)")],
)
def test_no_samples_say_whether_stale_ones_were_left_out(stale: str, why: str) -> None:
    seen = observe(metric(max_value=1.0, on_no_data="fail"), [], 5.0, stale=stale)
    assert (seen.at, seen.verdict, seen.why) == (5.0, "fail", why)


def test_a_fresh_sample_observed_without_stale_ones_has_no_note() -> None:
    assert observe(metric(max_value=1.0), [(JOB, 0.5)], 0.0, stale="").why == "0.5 within <= 1"


def test_moments_match_ticks_to_the_millisecond() -> None:
    answer = Answer([Series(JOB, [(100.0004, 1.0), (130.002, 2.0), (145.0, 3.0), (160.0, 4.0)])])
    assert moments(answer, [100.0, 130.0, 160.0]) == [
        (100.0, [(JOB, 1.0)]),
        (130.0, []),
        (160.0, [(JOB, 4.0)]),
    ]
    assert moments(Answer([]), [1.0]) == [(1.0, [])]


def test_an_instant_sample_as_old_as_the_interval_is_still_fresh() -> None:
    answer = Answer([Series(JOB, [(900.0, 5.0), (970.0, 0.5)]), Series((("job", "b"),), [])])
    assert instant_samples(answer, 1000.0, 30.0) == ([(JOB, 0.5)], "")
    samples, why = instant_samples(answer, 1000.001, 30.0)
    assert samples == []
    assert why == (
        '1 stale, the oldest ({job="api"}) is 30s1ms old (stamped 1970-01-01T00:16:10Z, more than '
        "the 30s interval before the evaluation): stale data is no evidence"
    )


def test_a_single_stale_sample_is_called_the_sample() -> None:
    answer = Answer([Series(JOB, [(0.0, 0.5)])])
    assert instant_samples(answer, 90.0, 30.0) == (
        [],
        "the sample is 1m30s old (stamped 1970-01-01T00:00:00Z, more than the 30s interval "
        "before the evaluation): stale data is no evidence",
    )


def test_a_stamp_beyond_any_date_is_shown_as_a_number() -> None:
    answer = Answer([Series(JOB, [(-1e18, 0.5)])])
    _samples, why = instant_samples(answer, 0.0, 30.0)
    assert "(stamped -1e+18, more than" in why


@pytest.mark.parametrize(
    "kind", ["bad_data", "bad_result", "auth", "not_found", "redirect", "not_json"]
)
def test_errors_no_retry_can_fix_end_the_check(kind: str) -> None:
    seen = error_observation(3.0, QueryError("bad", kind))
    assert (seen.at, seen.verdict, seen.why, seen.fatal) == (3.0, "error", "bad", True)


@pytest.mark.parametrize("kind", ["unavailable", "timeout", "execution", "error", "bad_response"])
def test_errors_a_retry_may_fix_do_not_end_the_check(kind: str) -> None:
    tally = Tally(metric(max_value=1.0))
    tally.add(error_observation(3.0, QueryError("busy", kind, "wait")))
    assert not tally.done and tally.observations[0].why == "busy (hint: wait)"


def test_one_failure_with_fail_after_one_is_decided_without_a_note() -> None:
    tally = Tally(metric(max_value=1.0))
    tally.add(obs("fail"))
    assert tally.done and tally.final() == ("fail", "fail")
    critical = Tally(metric(max_value=1.0, critical=True, fail_after=3))
    critical.add(obs("fail"))
    assert critical.final() == ("fail", "fail (critical: the first failure ends the check)")


def test_a_decided_failure_is_not_undone_by_a_bad_query() -> None:
    tally = Tally(metric(max_value=1.0, critical=True))
    tally.add(obs("fail"))
    tally.add(error_observation(1.0, QueryError("bad", "bad_data")))
    assert tally.final() == ("fail", "fail (critical: the first failure ends the check)")


def test_an_inconclusive_observation_neither_resets_nor_extends_a_run() -> None:
    tally = Tally(metric(max_value=1.0, fail_after=2))
    tally.add(obs("fail"))
    tally.add(obs("inconclusive"))
    assert not tally.done and tally.in_a_row == 1
    tally.add(obs("fail"))
    assert tally.done and tally.in_a_row == 2


def test_a_pass_resets_the_run() -> None:
    tally = Tally(metric(max_value=1.0, fail_after=2))
    tally.add(obs("fail"))
    tally.add(obs("pass"))
    assert tally.in_a_row == 0
    tally.add(obs("fail"))
    assert not tally.done


@pytest.mark.parametrize(
    ("verdicts", "final"),
    [
        ([], ("inconclusive", "no observation was made")),
        (["pass"], ("pass", "pass")),
        (["pass", "pass"], ("pass", "2 of 2 observations passed; last: pass")),
        (["pass", "inconclusive"], ("pass", "1 of 2 observations passed; last: inconclusive")),
        (
            ["inconclusive", "pass", "inconclusive"],
            ("inconclusive", "2 of 3 observations: inconclusive"),
        ),
        (["inconclusive"], ("inconclusive", "1 of 1 observations: inconclusive")),
        (["fail"], ("inconclusive", "0 of 1 observations: fail; 1 failed, fewer than 2 in a row")),
        (
            ["fail", "pass", "inconclusive"],
            (
                "pass",
                "1 of 3 observations passed; last: inconclusive; 1 failed, fewer than 2 in a row",
            ),
        ),
        (["pass", "error", "error"], ("error", "2 of 3 queries failed: error")),
    ],
)
def test_a_checks_verdict_from_its_observations(
    verdicts: list[str], final: tuple[str, str]
) -> None:
    tally = Tally(metric(max_value=1.0, fail_after=2))
    for verdict in verdicts:
        tally.add(obs(verdict))
    assert not tally.done
    assert tally.final() == final


def test_the_last_inconclusive_reason_is_given() -> None:
    tally = Tally(metric(max_value=1.0))
    tally.add(Observation(0.0, "inconclusive", "first"))
    tally.add(Observation(1.0, "inconclusive", "second"))
    tally.add(Observation(2.0, "pass", "ok"))
    assert tally.final() == ("inconclusive", "2 of 3 observations: second")


def test_against_baselines_the_worst_series_moved_furthest_from_its_own() -> None:
    a, b, c = (("pod", "a"),), (("pod", "b"),), (("pod", "c"),)
    drops = metric(baseline=Baseline(60, max_decrease=Bound(0.2, True)))
    # a fell 30%, b 50%, c 40%: b is the worst although a has the highest value.
    seen = observe(drops, [(a, 70.0), (b, 5.0), (c, 30.0)], 0.0, {a: 100.0, b: 10.0, c: 50.0})
    assert seen.value == 5.0
    assert seen.why.startswith('3 of 3 series failed; worst {pod="b"}: 5 is -50.0% under')
    rises = metric(baseline=Baseline(60, max_increase=Bound(0.1, True)))
    # a rose 100%, b 20%: a is the worst although b has the higher value.
    seen = observe(rises, [(a, 2.0), (b, 120.0)], 0.0, {a: 1.0, b: 100.0})
    assert seen.value == 2.0 and 'worst {pod="a"}' in seen.why
    # Any rise from a zero baseline is further than any rise from a non-zero one.
    seen = observe(rises, [(a, 0.5), (b, 500.0)], 0.0, {a: 0.0, b: 100.0})
    assert seen.value == 0.5
    # A series judged by on_nan (an infinity) ranks by its size.
    unsure = metric(baseline=Baseline(60, max_increase=Bound(0.1, True)), on_nan="fail")
    seen = observe(unsure, [(a, 2.0), (b, math.inf)], 0.0, {a: 1.0, b: 1.0})
    assert seen.value == math.inf


def test_stale_samples_left_out_are_noted_after_the_verdict() -> None:
    seen = observe(metric(max_value=1.0), [(JOB, 0.5)], 0.0, stale="the sample is old")
    assert seen.why == "0.5 within <= 1; left out: the sample is old"


def test_a_series_without_points_is_skipped_not_the_end() -> None:
    answer = Answer([Series((("pod", "a"),), []), Series((("pod", "b"),), [(100.0, 0.5)])])
    assert instant_samples(answer, 100.0, 30.0) == ([((("pod", "b"),), 0.5)], "")


def test_the_oldest_stale_sample_is_named_whatever_its_labels() -> None:
    answer = Answer(
        [
            Series((("pod", "a"),), [(900.0, 1.0)]),
            Series((("pod", "z"),), [(100.0, 1.0)]),
            Series((("pod", "m"),), [(1000.0, 1.0)]),
        ]
    )
    _samples, why = instant_samples(answer, 1000.0, 30.0)
    assert why.startswith(
        '2 stale, the oldest ({pod="z"}) is 15m old (stamped 1970-01-01T00:01:40Z'
    )


def test_an_infinite_series_without_a_baseline_of_its_own_can_be_the_worst() -> None:
    a, b, c = (("pod", "a"),), (("pod", "b"),), (("pod", "c"),)
    check = metric(baseline=Baseline(60, max_increase=Bound(0.1, True)), on_nan="fail")
    seen = observe(check, [(a, 2.0), (b, -math.inf)], 0.0, {a: 1.0, c: 1.0})
    assert seen.verdict == "fail" and seen.value == -math.inf
    assert seen.why == (
        '2 of 2 series failed; worst {pod="b"}: value is -Inf, not a finite number (on_nan: fail)'
    )
