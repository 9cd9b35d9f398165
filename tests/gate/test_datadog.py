"""Datadog checks: settings and sites, whole buckets only, groups judged one by one, and
`cibridge gate` end to end against the Datadog stand-in with the verdict rules of
Prometheus checks (no data, errors never a rollback, reports alike)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from cibridge.clients.datadog import DatadogClient, DatadogKeys
from cibridge.config import loader
from cibridge.core.errors import CibridgeError
from cibridge.demo.standins import StandIns, datadog_of
from cibridge.gate import datadog, settings
from cibridge.gate.datadog import COMBINE, Window, default_bucket, render_query
from cibridge.http.transport import HttpSettings, Transport
from tests.gate.helpers import metric, settings_from

QUERY = "avg:trace.http.request.errors{service:checkout,env:prod} by {version}"
NOW = 1_800_000_000.0


def outputs(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in text.splitlines()
        if "=" in line and " " not in line.split("=")[0]
    )


def window(stand_ins: StandIns, **fields: object) -> Window:
    client = DatadogClient(
        Transport(HttpSettings(retries=0)),
        f"{stand_ins.base}/datadog",
        DatadogKeys(*[stand_ins.env()[k] for k in ("DD_API_KEY", "DD_APP_KEY")]),
    )
    check = metric(query=QUERY, source="datadog", interval=60.0, max_value=0.5, **fields)
    return Window(client, check)


# -- whole buckets ---------------------------------------------------------------------


def test_the_bucket_still_filling_is_left_out(stand_ins: StandIns) -> None:
    standin = datadog_of(stand_ins)
    # Now is 4 s into a 10 s bucket: the stand-in, like Datadog, answers it with 40 % of
    # its points. Counted, it would pull the average of 1.0 down to 0.9.
    standin.clock = lambda: NOW + 4
    standin.series[QUERY] = lambda at: {("version:2",): 1.0}
    answer = window(stand_ins, bucket=10.0).instant(QUERY, NOW + 4)
    assert [series.points for series in answer.series] == [[(NOW + 4, 1.0)]]
    received = stand_ins.of("datadog")[-1].json["data"]["attributes"]
    assert (received["from"], received["to"]) == (int((NOW + 4 - 60) * 1000), int((NOW + 4) * 1000))


def test_a_bucket_cut_by_the_windows_start_is_left_out(stand_ins: StandIns) -> None:
    standin = datadog_of(stand_ins)
    standin.clock = lambda: NOW + 600
    # Only the bucket that starts before the window (at NOW - 60 - 5 → aligned NOW - 70)
    # has a high value: it must not count.
    standin.series[QUERY] = lambda at: {("version:2",): 9.0 if at < NOW - 60 else 1.0}
    answer = window(stand_ins, bucket=10.0).instant(QUERY, NOW + 5)
    assert answer.series[0].points == [(NOW + 5, 1.0)]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("avg", 2.5), ("sum", 15.0), ("min", 0.0), ("max", 5.0), ("last", 5.0)],
)
def test_the_whole_buckets_of_a_window_combine_by_aggregation(
    stand_ins: StandIns, aggregation: str, expected: float
) -> None:
    standin = datadog_of(stand_ins)
    standin.clock = lambda: NOW + 600
    standin.series[QUERY] = lambda at: {("version:2",): (at - (NOW - 60)) / 10}
    answer = window(stand_ins, bucket=10.0, aggregation=aggregation).instant(QUERY, NOW)
    assert answer.series[0].points == [(NOW, expected)]


def test_a_range_gives_each_tick_its_own_window_in_one_query(stand_ins: StandIns) -> None:
    standin = datadog_of(stand_ins)
    standin.clock = lambda: NOW + 600
    standin.series[QUERY] = lambda at: {
        ("version:2",): 1.0 if at < NOW else 3.0,
        ("version:1",): None,
    }
    answer = window(stand_ins, bucket=10.0).range(QUERY, NOW, NOW + 120, 60)
    assert len(stand_ins.of("datadog")) == 1
    # version:1 has no value at all: no series, so no data (never a pass).
    assert [(s.labels, s.points) for s in answer.series] == [
        ((("version", "2"),), [(NOW, 1.0), (NOW + 60, 3.0), (NOW + 120, 3.0)])
    ]


def test_every_aggregation_the_settings_accept_has_a_way_to_combine() -> None:
    assert set(COMBINE) == set(settings.AGGREGATIONS)


def test_the_default_bucket_leaves_whole_buckets_in_any_window() -> None:
    assert default_bucket(300) == 10 and default_bucket(30) == 10
    assert default_bucket(8) == 4 and default_bucket(1) == 1


# -- rendering -------------------------------------------------------------------------


def test_a_placeholder_value_is_a_tag_value_or_refused() -> None:
    assert (
        render_query("avg:x{service:{{ s }}}", {"s": "check-out.v2"}, "here")
        == "avg:x{service:check-out.v2}"
    )
    for hostile in ("a},avg:y{*", "a,env:prod", "a b", "a\nb"):
        with pytest.raises(CibridgeError) as raised:
            render_query("avg:x{service:{{ s }}}", {"s": hostile}, ".cibridge.yml:4 query")
        assert raised.value.message.startswith(
            ".cibridge.yml:4 query: the value of {{ s }} is not a Datadog tag value"
        )


# -- settings --------------------------------------------------------------------------


def test_a_check_says_its_source_and_datadogs_fields(tmp_path: Path) -> None:
    found = settings_from(
        "post_deployment_validation:\n  metrics_validation:\n"
        f"    - {{name: errors, source: datadog, query: '{QUERY}', max_value: 0.1, interval: 30s, bucket: 5s, aggregation: max}}\n"
        "    - {name: up, query: up, expected_value: 1}\n",
        tmp_path,
    )
    first, second = found.metrics
    assert (first.source, first.bucket, first.aggregation) == ("datadog", 5.0, "max")
    assert second.source == "prometheus"


def test_datadog_is_the_default_source_when_it_is_the_only_one(tmp_path: Path) -> None:
    text = "post_deployment_validation:\n  metrics_validation:\n    - {query: 'avg:x{*}', max_value: 1}\n"
    assert settings_from(text, tmp_path, {"DD_API_KEY": "k"}).metrics[0].source == "datadog"
    both = {"DD_API_KEY": "k", "PROMETHEUS_URL": "http://p"}
    assert settings_from(text, tmp_path, both).metrics[0].source == "prometheus"


def test_the_seed_with_both_sources_keeps_prometheus_as_the_default() -> None:
    from tests.conftest import SEED

    config = loader.load(
        [SEED / "integration-configs.yml", SEED / "post-deployment-validation.yml"], {}
    )
    assert {check.source for check in settings.load(config).metrics} == {"prometheus"}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ("source: graphite", "source is 'graphite'"),
        (
            "source: datadog, bucket: 20s",
            "bucket is 20s; it must be more than 0 and at most half the interval (30s)",
        ),
        ("bucket: 5s", "bucket applies to Datadog checks only"),
        ("source: datadog, aggregation: p99", "aggregation is 'p99'"),
    ],
)
def test_bad_datadog_fields_are_configuration_errors_naming_the_line(
    tmp_path: Path, fields: str, problem: str
) -> None:
    text = f"post_deployment_validation:\n  metrics_validation:\n    - {{query: 'avg:x{{*}}', max_value: 1, interval: 30s, {fields}}}\n"
    with pytest.raises(CibridgeError) as raised:
        settings_from(text, tmp_path)
    assert ".cibridge.yml:3" in raised.value.message and problem in raised.value.message


def _config(tmp_path: Path, text: str, env: dict[str, str]) -> loader.Config:
    path = tmp_path / ".cibridge.yml"
    path.write_text(text, encoding="utf-8")
    return loader.load([path], env)


def test_the_site_gives_the_api_host_and_an_unknown_site_lists_the_real_ones(
    tmp_path: Path,
) -> None:
    config = _config(
        tmp_path, "integration_configs:\n  monitoring:\n    datadog: {site: datadoghq.eu}\n", {}
    )
    base, where = datadog.base_url(config, {})
    assert base == "https://api.datadoghq.eu" and where.endswith(".cibridge.yml:3")
    assert (
        datadog.base_url(config, {"DD_SITE": "us5.datadoghq.com"})[0] == "https://api.datadoghq.eu"
    )
    assert (
        datadog.base_url(_config(tmp_path, "{}\n", {}), {"DD_SITE": "us5.datadoghq.com"})[0]
        == "https://api.us5.datadoghq.com"
    )
    with pytest.raises(CibridgeError) as raised:
        datadog.base_url(_config(tmp_path, "{}\n", {}), {"DD_SITE": "datadoghq.co"})
    assert (
        "'datadoghq.co' (environment variable DD_SITE) is not one of Datadog's sites"
        in raised.value.message
    )
    assert "ap1.datadoghq.com" in raised.value.hint and "us2.ddog-gov.com" in raised.value.hint


def test_the_seeds_key_refs_are_read_from_the_secret_store(tmp_path: Path) -> None:
    from tests.conftest import SEED

    env = {"DATADOG_API_KEY": "api-from-store", "DATADOG_APP_KEY": "app-from-store"}
    config = loader.load([SEED / "integration-configs.yml"], env)
    made = datadog.client(config, env, Transport(HttpSettings()))
    assert made.keys.headers() == {
        "DD-API-KEY": "api-from-store",
        "DD-APPLICATION-KEY": "app-from-store",
    }
    assert made.base_url == "https://api.datadoghq.com"


def test_no_api_key_is_a_usage_error_saying_where_to_set_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "{}\n", {})
    with pytest.raises(CibridgeError) as raised:
        datadog.client(config, {}, Transport(HttpSettings()))
    assert raised.value.exit_code == 2
    assert "DD_API_KEY" in raised.value.hint


# -- the command -----------------------------------------------------------------------


GATE = """post_deployment_validation:
  metrics_validation:
    - name: errors
      source: datadog
      query: 'avg:trace.http.request.errors{service:{{ service_name }}} by {version}'
      max_value: 0.05
      duration: 2m
      interval: 30s
      failure_action: rollback
  rollback_policy: {enabled: true, max_failures: 2, rollback_pipeline: rollback-checkout}
"""


@pytest.fixture
def gate_env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    (tmp_path / ".cibridge.yml").write_text(GATE, encoding="utf-8")
    return {
        k: v
        for k, v in stand_ins.env().items()
        if k in ("DATADOG_API_URL", "DD_API_KEY", "DD_APP_KEY")
    }


def _script(stand_ins: StandIns, bad: float) -> None:
    datadog_of(stand_ins).series["avg:trace.http.request.errors{service:checkout} by {version}"] = (
        lambda at: {
            ("version:1.4.0",): 0.01,
            ("version:1.5.0",): bad,
        }
    )


def test_a_datadog_window_from_history_passes(
    cli, stand_ins: StandIns, gate_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    _script(stand_ins, 0.02)
    result = cli("gate", "--set", "service_name=checkout", "--deployed-at", "10m ago", env=gate_env)
    assert result.code == 0, result.all
    assert outputs(result.out)["result"] == "pass"
    assert len(stand_ins.of("datadog")) == 1  # the whole window in one query
    assert "5 observation(s) from history" in result.out


def test_the_failing_group_is_named_in_every_report(
    cli, stand_ins: StandIns, gate_env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _script(stand_ins, 0.2)
    result = cli(
        "gate", "--set", "service_name=checkout", "--deployed-at", "10m ago",
        "--report", "r.json", "--junit", "j.xml", env=gate_env,
    )  # fmt: skip
    assert result.code == 1, result.all
    out = outputs(result.out)
    assert (out["result"], out["action"], out["rollback-pipeline"]) == (
        "fail",
        "rollback",
        "rollback-checkout",
    )
    check = json.loads((tmp_path / "r.json").read_text())["checks"][0]
    assert check["target"] == "avg:trace.http.request.errors{service:checkout} by {version}"
    assert check["observations"][0]["offenders"] == ['{version="1.5.0"}: 0.2 > max_value 0.05']
    assert check["threshold"] == "<= 0.05"
    case = ET.parse(tmp_path / "j.xml").getroot().find(".//testcase[@name='errors']")  # noqa: S314 - our own output
    assert case is not None and case.find("failure") is not None
    assert 'version="1.5.0"' in ET.tostring(case, encoding="unicode")


def test_refused_keys_are_an_error_never_a_rollback(
    cli, stand_ins: StandIns, gate_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    _script(stand_ins, 0.2)
    result = cli(
        "gate",
        "--set",
        "service_name=checkout",
        "--deployed-at",
        "10m ago",
        env={**gate_env, "DD_APP_KEY": "revoked"},
    )
    assert result.code == 1
    out = outputs(result.out)
    assert (out["result"], out["action"]) == ("error", "alert")
    assert "Datadog answered HTTP 403: Forbidden" in result.all
    assert "revoked" not in result.all


def test_a_datadog_outage_is_an_error_never_a_rollback(
    cli, stand_ins: StandIns, gate_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    _script(stand_ins, 0.2)
    datadog_of(stand_ins).fail_next = [500] * 20
    result = cli("gate", "--set", "service_name=checkout", "--deployed-at", "10m ago", env=gate_env)
    assert (outputs(result.out)["result"], outputs(result.out)["action"]) == ("error", "alert")


def test_no_data_follows_on_no_data(
    cli, stand_ins: StandIns, gate_env: dict[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = cli("gate", "--set", "service_name=checkout", "--deployed-at", "10m ago", env=gate_env)
    assert outputs(result.out)["result"] == "inconclusive"
    (tmp_path / ".cibridge.yml").write_text(
        GATE.replace("      interval: 30s\n", "      interval: 30s\n      on_no_data: fail\n")
    )
    result = cli("gate", "--set", "service_name=checkout", "--deployed-at", "10m ago", env=gate_env)
    assert outputs(result.out)["result"] == "fail"


def test_a_missing_application_key_is_a_usage_error_before_anything_is_sent(
    cli, stand_ins: StandIns, gate_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DD_APP_KEY", raising=False)
    env = {k: v for k, v in gate_env.items() if k != "DD_APP_KEY"}
    result = cli("gate", "--set", "service_name=checkout", env=env)
    assert result.code == 2
    assert "queries need an application key" in result.err
    assert stand_ins.of("datadog") == []


def test_live_observations_drop_the_bucket_still_filling(
    cli, stand_ins: StandIns, tmp_path: Path, gate_env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    # A counter of exactly 1.0 per bucket; min_value 1 fails at once if a partial bucket
    # (the stand-in answers it with its share of the points) were counted.
    datadog_of(stand_ins).series["sum:requests{service:checkout}.as_count()"] = lambda at: {(): 1.0}
    (tmp_path / ".cibridge.yml").write_text(
        "post_deployment_validation:\n  metrics_validation:\n"
        "    - {name: traffic, source: datadog, query: 'sum:requests{service:{{ service_name }}}.as_count()', "
        "min_value: 1, duration: 2s, interval: 2s, bucket: 1s, critical: true}\n"
    )
    result = cli("gate", "--set", "service_name=checkout", env=gate_env)
    assert result.code == 0, result.all
    assert len(stand_ins.of("datadog")) == 2


def test_a_comparison_takes_every_whole_bucket_of_each_window_in_one_query(
    stand_ins: StandIns,
) -> None:
    from cibridge.gate.settings import Comparison

    standin = datadog_of(stand_ins)
    standin.clock = lambda: NOW + 4  # the bucket at NOW is still filling at NOW + 4
    standin.series[QUERY] = lambda at: {
        ("version:2",): (at - NOW) / 10,
        ("version:1",): 100.0,
    }
    source = window(stand_ins, bucket=10.0, baseline_query=QUERY, comparison=Comparison())
    windows, warnings = source.samples(QUERY, [NOW - 60, NOW + 4])
    assert len(stand_ins.of("datadog")) == 1 and warnings == []
    # Both groups pooled; six whole buckets in [NOW - 120, NOW - 60) ...
    assert sorted(windows[0]) == sorted([*[(k - 12) for k in range(6)], *[100.0] * 6])
    # ... and in [NOW - 56, NOW + 4) only the five that ended: NOW - 50 ... NOW - 10.
    assert sorted(windows[1]) == sorted([*[-5.0, -4.0, -3.0, -2.0, -1.0], *[100.0] * 5])


CANARY_GATE = """post_deployment_validation:
  metrics_validation:
    - name: canary_latency
      source: datadog
      query: 'avg:trace.http.request.duration{service:{{ service_name }},version:canary}'
      baseline_query: 'avg:trace.http.request.duration{service:{{ service_name }},version:stable}'
      comparison: {tolerance: 10%}
      duration: 4m
      interval: 2m
      failure_action: rollback
"""


@pytest.mark.parametrize(("canary", "verdict"), [(100.0, "pass"), (150.0, "fail")])
def test_a_datadog_comparison_from_history(
    cli, stand_ins: StandIns, gate_env: dict[str, str], tmp_path: Path, canary: float, verdict: str
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(CANARY_GATE, encoding="utf-8")
    series = datadog_of(stand_ins).series
    scope = "avg:trace.http.request.duration{service:checkout,version:%s}"
    series[scope % "stable"] = lambda at: {("host:a",): 100.0 + at % 7}
    series[scope % "canary"] = lambda at: {("host:a",): canary + at % 7}
    result = cli(
        "gate", "--set", "service_name=checkout", "--deployed-at", "10m ago",
        "--report", "r.json", env=gate_env,
    )  # fmt: skip
    assert result.code == (0 if verdict == "pass" else 1), result.all
    assert len(stand_ins.of("datadog")) == 2  # each side's whole window in one query
    check = json.loads((tmp_path / "r.json").read_text())["checks"][0]
    assert check["verdict"] == verdict, check["why"]
    first = check["observations"][0]["comparison"]
    # 2 minutes of 10 s buckets: 11 or 12 whole ones, depending on how the edges fall.
    assert first["canary_points"] in (11, 12) and first["baseline_points"] in (11, 12)
    assert first["baseline_median"] == pytest.approx(103, abs=1)
