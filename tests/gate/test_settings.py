"""post_deployment_validation read into typed checks; bad values are exit-2 errors naming
the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.config import loader as config
from cibridge.core.durations import parse_duration
from cibridge.core.errors import CibridgeError
from cibridge.gate.settings import Bound, Comparison, load
from tests.conftest import SEED
from tests.gate.helpers import settings_from


def test_the_seed_loads_with_its_meaning_kept() -> None:
    gate = load(config.load([SEED / "post-deployment-validation.yml"], {}))
    availability, latency, errors = gate.metrics
    assert availability.expected_value == 1 and availability.tolerance == Bound(0.0)
    assert availability.duration == 300 and availability.interval == 30
    assert availability.observations == 11
    assert availability.failure_action == "rollback"
    assert latency.max_value == 0.5 and latency.failure_action == "alert"
    assert errors.max_value == 0.01 and errors.on_no_data == "inconclusive"
    assert errors.combine == "all" and errors.fail_after == 1 and not errors.critical
    (http,) = gate.http
    assert http.url == "http://{{service_url}}/health" and http.expected_status == (200,)
    assert http.timeout == 30 and http.retries == 3
    (tcp,) = gate.tcp
    assert (tcp.host, tcp.port, tcp.timeout, tcp.retries) == (
        "{{service_host}}",
        "{{service_port}}",
        10,
        3,
    )
    assert gate.rollback.enabled and gate.rollback.max_failures == 3
    assert gate.rollback.rollback_pipeline == "rollback-{{service_name}}"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5m", 300),
        ("1h30m", 5400),
        ("500ms", 0.5),
        ("30s", 30),
        ("2d", 172800),
        (45, 45),
        ("1.5", 1.5),
        ("1m30s", 90),
        ("1.5m", 90),  # as notify's timeout always read it
        ("30 s", 30),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "-1", "m5", "5mm", True, "30m1h"])
def test_bad_durations(text: object) -> None:
    assert parse_duration(text) is None


def test_a_check_reads_durations_as_the_rest_of_the_config_does(tmp_path: Path) -> None:
    # 1.5m was refused here though a provider's timeout took it, and the schema refused
    # a number of seconds that every other duration takes.
    gate = settings_from(
        """post_deployment_validation:
  metrics_validation:
    - {name: a, query: up, max_value: 1, duration: 1.5m, interval: 30 s}
    - {name: b, query: up, max_value: 1, duration: 300, interval: 60}
""",
        tmp_path,
    )
    assert [(check.duration, check.interval) for check in gate.metrics] == [(90, 30), (300, 60)]


def test_new_fields(tmp_path: Path) -> None:
    gate = settings_from(
        """post_deployment_validation:
  metrics_validation:
    - name: latency
      query: up
      min_value: 0.5
      max_value: "2"
      tolerance: 5%
      expected_value: 1
      interval: 10s
      duration: 1m
      initial_delay: 30s
      fail_after: 3
      critical: true
      on_no_data: pass
      on_nan: fail
      combine: any
      failure_action: warn
      baseline: {window: 30m, max_increase: 10%, max_decrease: 0.2, min_delta: 0.001}
  health_check_validation:
    http_checks:
      - url: http://x/health
        expected_status: [200, 3xx]
        body_regex: "ok|up"
        json_path: $.status
        json_value: UP
        max_latency: 250ms
        failure_action: rollback
""",
        tmp_path,
    )
    (check,) = gate.metrics
    assert check.tolerance == Bound(0.05, relative=True) and check.tolerance.of(2) == 0.1
    assert (check.min_value, check.max_value, check.interval, check.duration) == (0.5, 2, 10, 60)
    assert check.observations == 7 and check.initial_delay == 30 and check.fail_after == 3
    assert check.critical and check.on_no_data == "pass" and check.on_nan == "fail"
    assert check.combine == "any" and check.failure_action == "warn"
    assert check.baseline is not None and check.baseline.window == 1800
    assert check.baseline.max_increase == Bound(0.1, relative=True)
    assert check.baseline.max_decrease == Bound(0.2) and check.baseline.min_delta == 0.001
    (http,) = gate.http
    assert http.expected_status == (200, *range(300, 400))
    assert http.max_latency == 0.25 and http.json_path == "$.status" and http.json_value == "UP"


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("query: up\n      max_value: lots", "max_value is 'lots', not a number"),
        ("query: up", "has no threshold"),
        ("max_value: 1", "query is missing"),
        ("query: up\n      max_value: 1\n      duration: 5 minutes", "duration is '5 minutes'"),
        ("query: up\n      min_value: 2\n      max_value: 1", "min_value 2 is above max_value 1"),
        ("query: up\n      max_value: 1\n      fail_after: 0", "fail_after is 0"),
        ("query: up\n      max_value: 1\n      duration: 1d\n      interval: 1s", "observations"),
        ("query: up\n      baseline: {window: 30m}", "max_increase is missing"),
        ("query: up\n      baseline: {max_increase: 10%}", "window is missing"),
        ("query: up\n      tolerance: -3\n      expected_value: 1", "tolerance is -3"),
    ],
)
def test_bad_checks_name_the_line(tmp_path: Path, check: str, message: str) -> None:
    text = f"post_deployment_validation:\n  metrics_validation:\n    - name: a\n      {check}\n"
    with pytest.raises(CibridgeError) as caught:
        settings_from(text, tmp_path)
    assert caught.value.exit_code == 2
    assert message in str(caught.value)
    assert ".cibridge.yml:" in str(caught.value)


def test_unknown_keys_are_still_refused(tmp_path: Path) -> None:
    text = "post_deployment_validation:\n  metrics_validation:\n    - {name: a, query: up, max_valeu: 1}\n"
    with pytest.raises(CibridgeError, match="max_value"):
        settings_from(text, tmp_path)


def test_check_names_are_unique(tmp_path: Path) -> None:
    text = (
        "post_deployment_validation:\n  metrics_validation:\n"
        "    - {name: a, query: up, max_value: 1}\n    - {name: a, query: up, max_value: 2}\n"
    )
    with pytest.raises(CibridgeError, match="more than one check is named a"):
        settings_from(text, tmp_path)


def test_http_status_must_be_a_status(tmp_path: Path) -> None:
    text = (
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        "      - {url: 'http://x', expected_status: 'ok'}\n"
    )
    with pytest.raises(CibridgeError, match="expected_status has 'ok'"):
        settings_from(text, tmp_path)


def test_a_rollback_policy_block_is_on_unless_disabled(tmp_path: Path) -> None:
    check = "  metrics_validation: [{name: a, query: up, max_value: 1}]\n"
    on = settings_from(
        f"post_deployment_validation:\n{check}  rollback_policy: {{max_failures: 2}}\n", tmp_path
    )
    assert on.rollback.enabled and on.rollback.max_failures == 2
    off = settings_from(
        f"post_deployment_validation:\n{check}  rollback_policy: {{enabled: false}}\n", tmp_path
    )
    assert not off.rollback.enabled
    assert not settings_from(f"post_deployment_validation:\n{check}", tmp_path).rollback.enabled


def _url_check(url: str) -> str:
    return (
        "post_deployment_validation:\n  health_check_validation:\n    http_checks:\n"
        f"      - url: '{url}'\n"
    )


def test_a_variable_in_the_host_cannot_change_the_host(tmp_path: Path) -> None:
    text = _url_check("http://${SERVICE_HOST}/health")
    with pytest.raises(CibridgeError) as caught:
        settings_from(text, tmp_path, {"SERVICE_HOST": "127.0.0.1:9/x#"})
    message = caught.value.message
    assert ".cibridge.yml:4: url of 'GET http://${service_host}/health'" in message
    assert "the value of ${SERVICE_HOST} has '/'" in message and "127.0.0.1" not in message
    assert caught.value.exit_code == 2


def test_variables_in_the_path_and_query_are_encoded_and_a_leading_one_is_the_origin(
    tmp_path: Path,
) -> None:
    text = _url_check("${BASE_URL}/items/${ITEM}?token=${HEALTH_TOKEN}&x=${MISSING:-a b}")
    env = {"BASE_URL": "https://h.example:8443", "ITEM": "../admin", "HEALTH_TOKEN": "t/k&n=1"}
    (http,) = settings_from(text, tmp_path, env).http
    assert http.url == "https://h.example:8443/items/..%2Fadmin?token=t%2Fk%26n%3D1&x=a%20b"
    assert http.name == "GET https://h.example:8443/items/..%2Fadmin"


def test_an_unnamed_check_with_a_port_placeholder_loads(tmp_path: Path) -> None:
    (http,) = settings_from(
        _url_check("http://{{ service_host }}:{{ service_port }}/health"), tmp_path
    ).http
    assert http.name == "GET http://{{ service_host }}:{{ service_port }}/health"


def _comparison_check(tmp_path: Path, fields: str) -> object:
    text = (
        "post_deployment_validation:\n  metrics_validation:\n    - name: latency\n"
        "      query: canary_latency\n" + "".join(f"      {line}\n" for line in fields.splitlines())
    )
    return settings_from(text, tmp_path).metrics[0]


def test_baseline_query_without_comparison_takes_the_defaults(tmp_path: Path) -> None:
    check = _comparison_check(tmp_path, "baseline_query: baseline_latency")
    assert check.baseline_query == "baseline_latency"  # type: ignore[attr-defined]
    assert check.comparison == Comparison(0.95, 0.0, "increase", 10)  # type: ignore[attr-defined]
    assert check.threshold() == (  # type: ignore[attr-defined]
        "canary vs baseline: an increase beyond 0% at 95% confidence"
    )


def test_a_comparison_as_written(tmp_path: Path) -> None:
    check = _comparison_check(
        tmp_path,
        "baseline_query: old\ncomparison: {confidence: 0.99, tolerance: 10%, direction: either, "
        "min_samples: 20}",
    )
    assert check.comparison == Comparison(0.99, 0.1, "either", 20)  # type: ignore[attr-defined]
    plain = _comparison_check(tmp_path, "baseline_query: old\ncomparison: {tolerance: 0.25}")
    assert plain.comparison.tolerance == 0.25  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("baseline_query: old\ncomparison: {confidence: 0.5}", "confidence is 0.5"),
        ("baseline_query: old\ncomparison: {confidence: 1}", "confidence is 1"),
        ("baseline_query: old\ncomparison: {min_samples: 2}", "min_samples is 2"),
        ("baseline_query: old\ncomparison: {direction: up}", "direction is 'up'"),
        ("baseline_query: old\ncomparison: {tolerance: -1}", "tolerance is -1"),
        ("baseline_query: old\ncomparison: 0.95", "comparison must be object"),
        ("comparison: {confidence: 0.9}", "comparison needs baseline_query"),
        ("baseline_query: old\nmax_value: 1", "max_value cannot be combined with baseline_query"),
        ("baseline_query: old\ntolerance: 10%", "tolerance cannot be combined"),
        ("baseline_query: old\nbaseline: {window: 30m, max_increase: 10%}", "baseline cannot"),
        (
            "baseline_query: old\nsource: datadog\ninterval: 60s",
            "interval holds as few as 5 whole bucket(s) of 10s, fewer than min_samples 10",
        ),
        ("baseline_query: old\nsource: datadog\naggregation: max\ninterval: 5m", "aggregation"),
    ],
)
def test_bad_comparisons_name_the_line(tmp_path: Path, fields: str, message: str) -> None:
    with pytest.raises(CibridgeError) as caught:
        _comparison_check(tmp_path, fields)
    assert caught.value.exit_code == 2
    assert message in str(caught.value)
    assert ".cibridge.yml:" in str(caught.value)


def test_unknown_comparison_keys_are_refused_where_they_are(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _comparison_check(tmp_path, "baseline_query: old\ncomparison: {confidense: 0.9}")
    assert ".cibridge.yml:6" in str(caught.value) and "confidence" in str(caught.value)


def test_a_datadog_comparison_with_enough_buckets(tmp_path: Path) -> None:
    check = _comparison_check(
        tmp_path, "baseline_query: old\nsource: datadog\ninterval: 55s\nbucket: 5s"
    )
    assert check.bucket == 5  # type: ignore[attr-defined]
