"""One configured value read as the gate needs it: each wrong value is a configuration error
(exit 2) naming the value's own line and how to write it, never a TypeError or a silent
default."""

from __future__ import annotations

from typing import Any

import pytest

from cibridge.config.loader import Config
from cibridge.core import durations
from cibridge.core.errors import CibridgeError
from cibridge.gate.values import Bound, Reader

CHECK = ("post_deployment_validation", "metrics_validation", 0)


def reader(**values: Any) -> Reader:
    """A check at line 3 of .cibridge.yml, each of its keys on a line of its own from 4 on."""
    lines = {CHECK: ".cibridge.yml:3"}
    lines.update({(*CHECK, key): f".cibridge.yml:{4 + n}" for n, key in enumerate(values)})
    data = {CHECK[0]: {CHECK[1]: [dict(values)]}}
    return Reader(Config(data=data, lines=lines, files=[".cibridge.yml"]), CHECK)


def refused(call: Any, *args: Any, **kwargs: Any) -> CibridgeError:
    with pytest.raises(CibridgeError) as caught:
        call(*args, **kwargs)
    assert caught.value.exit_code == 2
    return caught.value


def test_where_names_the_key_line_and_falls_back_to_the_check() -> None:
    read = reader(max_value="x", name="a")
    assert read.where() == ".cibridge.yml:3"
    assert read.where("max_value") == ".cibridge.yml:4"
    assert read.where("name") == ".cibridge.yml:5"
    assert read.where("min_value") == ".cibridge.yml:3"  # not written: the check's line


def test_an_error_names_the_line_of_its_key() -> None:
    error = reader(name="a", max_value="lots").error("max_value", "is odd", "fix it")
    assert error.message == ".cibridge.yml:5: max_value is odd" and error.hint == "fix it"


def test_text_is_the_value_as_text_or_the_default() -> None:
    read = reader(name="api", port=8080)
    assert read.text("name") == "api" and read.text("port") == "8080"
    assert read.text("missing") == "" and read.text("missing", "dflt") == "dflt"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.5), ("0.5", 0.5), (0, 0.0), (-3, -3.0), ("1e3", 1000.0), (" 2 ", 2.0)],
)
def test_numbers(value: object, expected: float) -> None:
    assert reader(max_value=value).number("max_value") == expected


@pytest.mark.parametrize("value", ["lots", True, False, [1], {"a": 1}, "inf", "-inf", "nan"])
def test_a_number_that_is_not_a_finite_number_is_refused(value: object) -> None:
    error = refused(reader(name="a", max_value=value).number, "max_value")
    assert error.message == f".cibridge.yml:5: max_value is {value!r}, not a number"
    assert error.hint == "write e.g. max_value: 0.5"


def test_an_absent_number_is_none() -> None:
    assert reader().number("max_value") is None


@pytest.mark.parametrize(
    ("value", "low", "expected"),
    [(0, 0, 0), ("0", 0, 0), (3, 0, 3), ("3", 0, 3), (1, 1, 1), (2.0, 1, 2), ("5.0", 1, 5)],
)
def test_counts_at_their_edges(value: object, low: int, expected: int) -> None:
    got = reader(retries=value).count("retries", 7, low=low)
    assert got == expected and isinstance(got, int)


def test_a_count_is_zero_or_more_unless_told() -> None:
    assert reader(retries=0).count("retries", 7) == 0
    error = refused(reader(retries=-1).count, "retries", 7)
    assert error.hint == "write a whole number, 0 or more"


@pytest.mark.parametrize(
    ("value", "low"),
    [(0, 1), (-1, 0), (0.5, 0), ("1.5", 1), ("many", 0), (True, 0), ([2], 0), ("inf", 0)],
)
def test_a_count_that_is_not_a_whole_number_from_low_is_refused(value: object, low: int) -> None:
    error = refused(reader(name="a", fail_after=value).count, "fail_after", 1, low=low)
    assert error.message == f".cibridge.yml:5: fail_after is {value!r}"
    assert error.hint == f"write a whole number, {low} or more"


def test_an_absent_count_is_the_default() -> None:
    assert reader().count("fail_after", 4, low=1) == 4


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("0.5", 0.5), ("500ms", 0.5), ("2h", 7200), ("1h30m", 5400), (45, 45.0), ("0", 0.0)],
)
def test_durations_at_their_edges(value: object, seconds: float) -> None:
    assert reader(interval=value).seconds("interval", 30.0) == seconds


@pytest.mark.parametrize("value", ["-5s", -1, "soon", True, "5 minutes"])
def test_a_duration_that_is_not_one_is_refused(value: object) -> None:
    error = refused(reader(name="a", interval=value).seconds, "interval", 30.0)
    assert error.message == f".cibridge.yml:5: interval is {value!r}, not a duration"
    assert error.hint == durations.HINT


def test_an_absent_duration_is_the_default() -> None:
    assert reader().seconds("interval", 30.0) == 30.0
    assert reader().positive_seconds("timeout", 10.0) == 10.0


@pytest.mark.parametrize(("value", "seconds"), [("1ms", 0.001), ("0.5", 0.5), ("1h", 3600)])
def test_a_positive_duration_is_more_than_zero(value: object, seconds: float) -> None:
    assert reader(timeout=value).positive_seconds("timeout", 10.0) == seconds


@pytest.mark.parametrize("value", [0, "0s", "0"])
def test_a_positive_duration_of_zero_is_refused(value: object) -> None:
    error = refused(reader(name="a", timeout=value).positive_seconds, "timeout", 10.0)
    assert error.message == f".cibridge.yml:5: timeout is {value!r}; it must be more than 0"
    assert error.hint == "e.g. 10s"


def test_a_positive_duration_that_is_not_one_is_refused_as_a_duration() -> None:
    error = refused(reader(timeout="-1s").positive_seconds, "timeout", 10.0)
    assert "not a duration" in error.message


@pytest.mark.parametrize(
    ("value", "bound"),
    [
        (0.05, Bound(0.05)),
        ("0.05", Bound(0.05)),
        (0, Bound(0.0)),
        (3, Bound(3.0)),
        ("5%", Bound(0.05, relative=True)),
        (" 5% ", Bound(0.05, relative=True)),
        ("0%", Bound(0.0, relative=True)),
        ("0.5%", Bound(0.005, relative=True)),
        ("150%", Bound(1.5, relative=True)),
    ],
)
def test_bounds_absolute_or_relative(value: object, bound: Bound) -> None:
    assert reader(tolerance=value).bound("tolerance") == bound


@pytest.mark.parametrize("value", ["-5%", -0.1, "x%", "%", "5%%", "lots", True, [5], "inf%"])
def test_a_bound_that_is_not_an_amount_is_refused(value: object) -> None:
    error = refused(reader(name="a", tolerance=value).bound, "tolerance")
    assert error.message == f".cibridge.yml:5: tolerance is {value!r}"
    assert error.hint == 'write 0.05 (absolute) or "5%" (relative)'


@pytest.mark.parametrize("value", [0.1, "0.1", "-5%"])
def test_a_percent_only_bound_refuses_an_absolute_amount(value: object) -> None:
    error = refused(reader(max_increase=value).bound, "max_increase", percent_only=True)
    assert error.hint == 'write "10%"'


def test_a_percent_only_bound_takes_a_percent() -> None:
    read = reader(max_increase="10%")
    assert read.bound("max_increase", percent_only=True) == Bound(0.1, relative=True)
    assert reader().bound("max_increase", percent_only=True) is None


def test_an_absolute_bound_is_never_scaled_by_its_reference() -> None:
    assert Bound(0.05).of(100.0) == 0.05
    assert Bound(0.05).of(-100.0) == 0.05
    assert Bound(0.05, relative=True).of(200.0) == pytest.approx(10.0)
    assert Bound(0.05, relative=True).of(-200.0) == pytest.approx(10.0)


def test_bounds_read_back_as_written() -> None:
    assert str(Bound(0.05)) == "0.05"
    assert str(Bound(2.0)) == "2"
    assert str(Bound(0.05, relative=True)) == "5%"
    assert str(Bound(0.005, relative=True)) == "0.5%"


@pytest.mark.parametrize("value", ["rollback", "alert"])
def test_a_choice_is_one_of_the_choices(value: str) -> None:
    read = reader(failure_action=value)
    assert read.choice("failure_action", ("rollback", "fail", "alert"), "fail") == value


def test_an_absent_choice_is_the_default() -> None:
    assert reader().choice("combine", ("all", "any"), "all") == "all"


@pytest.mark.parametrize("value", ["ANY", "some", "", 1, True, ["any"], {"any": 1}])
def test_a_choice_not_among_the_choices_is_refused(value: object) -> None:
    error = refused(reader(name="a", combine=value).choice, "combine", ("all", "any"), "all")
    assert error.message == f".cibridge.yml:5: combine is {value!r}"
    assert error.hint == "use one of all, any"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        ("tRuE", True),
    ],
)
def test_flags_given_as_booleans_or_text(value: object, expected: bool) -> None:
    assert reader(critical=value).flag("critical") is expected
    assert reader(critical=value).flag("critical", default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_an_absent_flag_is_the_default(default: bool) -> None:
    assert reader().flag("critical", default) is default
    assert reader().flag("critical") is False


@pytest.mark.parametrize("value", ["yes", "no", "on", 1, 0, "", ["true"], {"true": 1}])
def test_a_flag_that_is_not_true_or_false_is_refused(value: object) -> None:
    error = refused(reader(name="a", critical=value).flag, "critical")
    assert error.message == f".cibridge.yml:5: critical is {value!r}"
    assert error.hint == "write true or false"
