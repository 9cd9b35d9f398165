"""The Datadog stand-in refuses what Datadog refuses, with Datadog's error bodies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cibridge.demo.standins import DATADOG_API_KEY, DATADOG_APP_KEY, StandIns, datadog_of
from tests.demo.standins.client import send

KEYS = {
    "DD-API-KEY": DATADOG_API_KEY,
    "DD-APPLICATION-KEY": DATADOG_APP_KEY,
    "Content-Type": "application/json",
}
QUERY: dict[str, Any] = {
    "data": {
        "type": "timeseries_request",
        "attributes": {
            "from": 1_800_000_000_000,
            "to": 1_800_000_060_000,
            "interval": 10_000,
            "queries": [
                {"data_source": "metrics", "query": "avg:system.cpu.user{*} by {host}", "name": "a"}
            ],
            "formulas": [{"formula": "a"}],
        },
    }
}


def changed(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(QUERY)
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


def test_a_valid_query_is_answered_in_aligned_buckets(stand_ins: StandIns) -> None:
    datadog_of(stand_ins).series["avg:system.cpu.user{*} by {host}"] = lambda at: {("host:a",): at}
    datadog_of(stand_ins).clock = lambda: 1_900_000_000.0
    reply = send(stand_ins.base, "/datadog/api/v2/query/timeseries", QUERY, headers=KEYS)
    assert reply.status == 200
    attributes = reply.json["data"]["attributes"]
    assert attributes["times"] == list(range(1_800_000_000_000, 1_800_000_060_000, 10_000))
    assert attributes["series"] == [{"group_tags": ["host:a"], "query_index": 0, "unit": None}]
    assert attributes["values"][0][0] == 1_800_000_000.0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            changed(("data", "attributes", "from"), "1800000000000"),
            "Invalid type for variable '_from'",
        ),
        (changed(("data", "attributes", "to"), KeyError), "'to'"),
        (changed(("data", "type"), "scalar_request"), "data.type must be timeseries_request"),
        (changed(("data", "attributes", "step"), 10), "unknown attribute(s): step"),
        (
            changed(("data", "attributes", "queries", 0, "query"), KeyError),
            "Error parsing query: None",
        ),
        (
            changed(("data", "attributes", "queries", 0, "query"), "cpu{*"),
            "Error parsing query: cpu{*",
        ),
        (
            changed(("data", "attributes", "queries", 0, "data_source"), "logs"),
            "data_source must be metrics",
        ),
        (changed(("data", "attributes", "to"), 1_800_000_000_000), "'from' must be before 'to'"),
    ],
)
def test_a_body_datadog_would_refuse_is_a_400_with_its_errors_list(
    stand_ins: StandIns, body: dict[str, Any], error: str
) -> None:
    reply = send(stand_ins.base, "/datadog/api/v2/query/timeseries", body, headers=KEYS)
    assert reply.status == 400
    assert any(error in message for message in reply.json["errors"]), reply.json


@pytest.mark.parametrize(
    "headers",
    [
        {"DD-APPLICATION-KEY": DATADOG_APP_KEY},
        {"DD-API-KEY": DATADOG_API_KEY},
        {"DD-API-KEY": "other", "DD-APPLICATION-KEY": DATADOG_APP_KEY},
    ],
)
def test_queries_need_both_keys_in_headers(stand_ins: StandIns, headers: dict[str, str]) -> None:
    reply = send(stand_ins.base, "/datadog/api/v2/query/timeseries", QUERY, headers=headers)
    assert (reply.status, reply.json) == (403, {"errors": ["Forbidden"]})


def test_keys_in_the_query_string_are_refused(stand_ins: StandIns) -> None:
    target = f"/datadog/api/v2/query/timeseries?api_key={DATADOG_API_KEY}"
    assert send(stand_ins.base, target, QUERY, headers=KEYS).status == 400


def test_a_throttled_request_carries_the_rate_limit_headers(stand_ins: StandIns) -> None:
    datadog_of(stand_ins).throttle_next = 1
    reply = send(stand_ins.base, "/datadog/api/v2/query/timeseries", QUERY, headers=KEYS)
    assert reply.status == 429
    assert {k: v for k, v in reply.headers.items() if k.startswith("X-RateLimit")} == {
        "X-RateLimit-Limit": "1600",
        "X-RateLimit-Period": "3600",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2",
        "X-RateLimit-Name": "query_timeseries",
    }


DEPLOYMENT = {
    "data": {
        "attributes": {"service": "checkout", "started_at": 1, "finished_at": 2, "id": "a" * 16}
    }
}


def test_dora_needs_the_api_key_only_and_the_same_id_is_one_deployment(stand_ins: StandIns) -> None:
    headers = {"DD-API-KEY": DATADOG_API_KEY}
    assert (
        send(stand_ins.base, "/datadog/api/v2/dora/deployment", DEPLOYMENT, headers=headers).status
        == 202
    )
    assert (
        send(stand_ins.base, "/datadog/api/v2/dora/deployment", DEPLOYMENT, headers=headers).status
        == 202
    )
    assert len(datadog_of(stand_ins).deployments) == 1


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ({"service": "checkout", "started_at": 1}, "finished_at"),
        ({"service": "c", "started_at": 1, "finished_at": 2, "id": "short"}, "id must be 16-128"),
        (
            {"service": "c", "started_at": 1, "finished_at": 2, "git": {"commit_sha": "abc"}},
            "repository_url",
        ),
        ({"service": "c", "started_at": "1", "finished_at": 2}, "Invalid type"),
    ],
)
def test_a_dora_deployment_datadog_would_refuse_is_a_400(
    stand_ins: StandIns, attributes: dict[str, Any], error: str
) -> None:
    reply = send(
        stand_ins.base,
        "/datadog/api/v2/dora/deployment",
        {"data": {"attributes": attributes}},
        headers=KEYS,
    )
    assert reply.status == 400
    assert error in reply.json["errors"][0]


def test_a_dora_failure_needs_services_or_a_team(stand_ins: StandIns) -> None:
    body = {"data": {"attributes": {"name": "rollback", "started_at": 1}}}
    reply = send(stand_ins.base, "/datadog/api/v2/dora/failure", body, headers=KEYS)
    assert reply.status == 400 and "services or team" in reply.json["errors"][0]
