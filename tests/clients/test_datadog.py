"""The Datadog client against the Datadog stand-in (bodies checked by datadog-api-client's
own models): keys in headers only, buckets parsed, Datadog's errors carried in its words."""

from __future__ import annotations

import pytest

from cibridge.clients.datadog import DatadogClient, DatadogKeys, api_base, labels_of
from cibridge.clients.prometheus import QueryError
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.demo.standins import DATADOG_API_KEY, DATADOG_APP_KEY, StandIns, datadog_of
from cibridge.http.transport import HttpSettings, Transport

QUERY = "avg:trace.http.request.errors{service:checkout} by {host}"
NOW = 1_800_000_000.0


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client(
    stand_ins: StandIns,
    waits: Waits | None = None,
    api: str = DATADOG_API_KEY,
    app: str = DATADOG_APP_KEY,
) -> DatadogClient:
    transport = Transport(HttpSettings(retries=0, max_wait=30), sleep=waits or Waits())
    return DatadogClient(transport, f"{stand_ins.base}/datadog", DatadogKeys(api, app))


def scripted(stand_ins: StandIns) -> None:
    datadog = datadog_of(stand_ins)
    datadog.clock = lambda: NOW
    datadog.series[QUERY] = lambda at: {
        ("host:a",): 1.0,
        ("host:b",): 3.0 if at >= NOW - 20 else 2.0,
    }


def test_a_timeseries_query_sends_the_window_in_milliseconds_and_the_keys_in_headers(
    stand_ins: StandIns,
) -> None:
    scripted(stand_ins)
    answer = client(stand_ins).timeseries(QUERY, NOW - 60, NOW, 10)
    sent = stand_ins.of("datadog")[-1]
    attributes = sent.json["data"]["attributes"]
    assert (attributes["from"], attributes["to"], attributes["interval"]) == (
        1_799_999_940_000,
        1_800_000_000_000,
        10_000,
    )
    assert attributes["queries"] == [{"data_source": "metrics", "query": QUERY, "name": "a"}]
    assert sent.headers["DD-API-KEY"] == DATADOG_API_KEY
    assert sent.headers["DD-APPLICATION-KEY"] == DATADOG_APP_KEY
    assert DATADOG_API_KEY not in sent.path and "api_key" not in sent.path
    groups = dict(answer.groups)
    assert answer.bucket == 10
    assert [value for _at, value in groups[(("host", "b"),)]] == [2.0, 2.0, 2.0, 2.0, 3.0, 3.0]
    assert groups[(("host", "a"),)][0] == (NOW - 60, 1.0)


def test_datadog_widening_the_interval_is_read_from_the_times(stand_ins: StandIns) -> None:
    scripted(stand_ins)
    # Two hours at 1 s is 7,200 points; Datadog answers at most 1,500 per series, in
    # wider buckets than asked.
    answer = client(stand_ins).timeseries(QUERY, NOW - 7200, NOW, 1)
    assert answer.bucket == 5
    assert len(answer.groups[0][1]) == 1440


def test_times_in_seconds_are_read_as_seconds(stand_ins: StandIns) -> None:
    # The published schema describes times in seconds, its example and Datadog's answers
    # are milliseconds: both read right.
    body = {"data": {"attributes": {"times": [NOW, NOW + 10], "values": [[1, 2]], "series": [{}]}}}
    stand_ins.override(
        "/datadog/api/v2/query/timeseries", lambda request, handler: _json(handler, body)
    )
    answer = client(stand_ins).timeseries(QUERY, NOW - 60, NOW, 10)
    assert answer.groups[0][1] == [(NOW, 1.0), (NOW + 10, 2.0)]


@pytest.mark.parametrize(("api", "app"), [("wrong", DATADOG_APP_KEY), (DATADOG_API_KEY, "wrong")])
def test_a_refused_key_is_a_fatal_auth_error_with_datadogs_words(
    stand_ins: StandIns, api: str, app: str
) -> None:
    with pytest.raises(QueryError) as raised:
        client(stand_ins, api=api, app=app).timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "auth"
    assert raised.value.message == "Datadog answered HTTP 403: Forbidden"
    assert "DD_APP_KEY" in raised.value.hint


def test_a_query_datadog_cannot_parse_is_bad_data(stand_ins: StandIns) -> None:
    with pytest.raises(QueryError) as raised:
        client(stand_ins).timeseries("trace.errors{", NOW - 60, NOW, 10)
    assert raised.value.kind == "bad_data"
    assert "Error parsing query: trace.errors{" in raised.value.message


def test_an_error_inside_a_200_is_an_error_not_an_empty_answer(stand_ins: StandIns) -> None:
    datadog_of(stand_ins).error_in_200 = "Query parsing error: unknown function"
    with pytest.raises(QueryError) as raised:
        client(stand_ins).timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "bad_data"
    assert "HTTP 200 with an error: Query parsing error: unknown function" in raised.value.message


def test_a_5xx_is_unavailable_and_not_fatal(stand_ins: StandIns) -> None:
    datadog_of(stand_ins).fail_next = [503]
    with pytest.raises(QueryError) as raised:
        client(stand_ins).timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "unavailable"
    assert raised.value.message == "Datadog answered HTTP 503: Internal Server Error"


def test_a_429_waits_for_the_reset_and_tries_once_more(stand_ins: StandIns) -> None:
    scripted(stand_ins)
    datadog = datadog_of(stand_ins)
    datadog.throttle_next, datadog.reset_after = 1, "3"
    waits = Waits()
    answer = client(stand_ins, waits).timeseries(QUERY, NOW - 60, NOW, 10)
    assert waits.seconds == [3.0]
    assert len(answer.groups) == 2


def test_a_second_429_names_the_limit(stand_ins: StandIns) -> None:
    datadog = datadog_of(stand_ins)
    datadog.throttle_next, datadog.reset_after = 2, "4"
    waits = Waits()
    with pytest.raises(QueryError) as raised:
        client(stand_ins, waits).timeseries(QUERY, NOW - 60, NOW, 10)
    assert waits.seconds == [4.0]
    assert raised.value.kind == "rate_limited"
    assert "'query_timeseries' was still reached after waiting 4s" in raised.value.message


def test_a_reset_longer_than_max_wait_is_not_waited_for(stand_ins: StandIns) -> None:
    datadog = datadog_of(stand_ins)
    datadog.throttle_next, datadog.reset_after = 1, "3600"
    waits = Waits()
    with pytest.raises(QueryError) as raised:
        client(stand_ins, waits).timeseries(QUERY, NOW - 60, NOW, 10)
    assert waits.seconds == [] and raised.value.kind == "rate_limited"


def test_an_unreachable_datadog_is_a_query_error_naming_where_the_url_came_from() -> None:
    transport = Transport(HttpSettings(retries=0))
    datadog = DatadogClient(
        transport, "http://127.0.0.1:9", DatadogKeys("k", "a"), url_from="DATADOG_API_URL"
    )
    with pytest.raises(QueryError) as raised:
        datadog.timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "unreachable"
    assert "(its URL is from DATADOG_API_URL)" in raised.value.message


def test_a_refused_write_is_an_exit_1_failure_with_datadogs_message(stand_ins: StandIns) -> None:
    with pytest.raises(CibridgeError) as raised:
        client(stand_ins).send(
            "POST", "/api/v2/dora/deployment", {"data": {"attributes": {}}}, "DORA deployment"
        )
    assert raised.value.exit_code == EXIT_FAILURE
    assert raised.value.message.startswith("DORA deployment: Datadog answered HTTP 400: ")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"data": {}}, "without data.attributes"),
        ({"data": {"attributes": {"times": {}, "values": [], "series": []}}}, "not lists"),
        (
            {"data": {"attributes": {"times": [1], "values": [[1, 2]], "series": [{}]}}},
            "does not match the times",
        ),
        (
            {"data": {"attributes": {"times": [1], "values": [], "series": [{}]}}},
            "0 value lists for 1 series",
        ),
        (
            {"data": {"attributes": {"times": ["x"], "values": [["1"]], "series": [{}]}}},
            "a time that is not a number",
        ),
        (
            {"data": {"attributes": {"times": [1000], "values": [["1"]], "series": [{}]}}},
            "a value that is not a number",
        ),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_bad_response(
    stand_ins: StandIns, body: object, problem: str
) -> None:
    stand_ins.override(
        "/datadog/api/v2/query/timeseries", lambda request, handler: _json(handler, body)
    )
    with pytest.raises(QueryError) as raised:
        client(stand_ins).timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "bad_response"
    assert problem in raised.value.message


def _json(handler: object, body: object) -> None:
    import json

    data = json.dumps(body).encode()
    handler.send_response(200)  # type: ignore[attr-defined]
    handler.send_header("Content-Type", "application/json")  # type: ignore[attr-defined]
    handler.send_header("Content-Length", str(len(data)))  # type: ignore[attr-defined]
    handler.end_headers()  # type: ignore[attr-defined]
    handler.wfile.write(data)  # type: ignore[attr-defined]


def test_group_tags_become_labels_and_a_bare_tag_keeps_an_empty_value() -> None:
    assert labels_of(["service:checkout", "host:a:b", "canary"]) == (
        ("canary", ""),
        ("host", "a:b"),
        ("service", "checkout"),
    )
    assert labels_of(None) == ()


def test_each_site_has_its_api_host() -> None:
    assert api_base("datadoghq.eu") == "https://api.datadoghq.eu"
    assert api_base("us3") == "https://api.us3.datadoghq.com"
    assert api_base("us2.ddog-gov.com") == "https://api.us2.ddog-gov.com"


def test_the_keys_never_show_in_a_repr() -> None:
    assert "secret" not in repr(DatadogKeys("secret-api", "secret-app"))


def test_a_redirect_is_not_followed_and_names_where_it_pointed(httpserver) -> None:  # type: ignore[no-untyped-def]
    elsewhere = "http://127.0.0.1:9/api/v2/query/timeseries"
    httpserver.expect_request("/api/v2/query/timeseries").respond_with_data(
        "", status=307, headers={"Location": elsewhere}
    )
    transport = Transport(HttpSettings(retries=0))
    keys = DatadogKeys(DATADOG_API_KEY, DATADOG_APP_KEY)
    with pytest.raises(QueryError) as raised:
        DatadogClient(transport, httpserver.url_for("/"), keys).timeseries(QUERY, NOW - 60, NOW, 10)
    assert raised.value.kind == "redirect"
    assert f"HTTP 307: a redirect to {elsewhere}" in str(raised.value)
    assert "without redirects" in (raised.value.hint or "")
    assert len(httpserver.log) == 1  # asked once; the keys went nowhere else
