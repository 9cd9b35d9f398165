"""The ruler client against the Mimir stand-in: what it lists, posts and deletes, and how
a refusal reads (the ruler's own words, the group, a hint for 401/403/404)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from cibridge.clients.ruler import RulerClient, RulerRefused
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.mimir_ruler import RULER_TENANT
from cibridge.http.transport import HttpSettings, Transport
from tests.demo.standins.mimir import serving

GROUP = {"name": "cibridge-gate-api", "rules": [{"alert": "Errors", "expr": "up == 0"}]}


@pytest.fixture
def mimir() -> Iterator[StandIns]:
    with serving() as servers:
        yield servers


def _client(base: str, api: str = "mimir", tenant: str = RULER_TENANT) -> RulerClient:
    transport = Transport(HttpSettings(retries=0))
    headers = {"X-Scope-OrgID": tenant} if tenant else {}
    return RulerClient(transport, f"{base}/mimir", api=api, headers=headers)


@pytest.mark.parametrize("api", ["mimir", "cortex"])
def test_set_list_delete_round_trip(mimir: StandIns, api: str) -> None:
    client = _client(mimir.base, api)
    assert client.groups("cibridge") == {}  # Mimir's 404 "no rule groups found"
    client.set_group("cibridge", GROUP)
    assert list(client.groups("cibridge")) == ["cibridge-gate-api"]
    posted = mimir.received[-2]
    assert posted.headers["Content-Type"] == "application/yaml"
    client.delete_group("cibridge", "cibridge-gate-api")
    client.delete_group("cibridge", "cibridge-gate-api")  # already gone: not an error
    assert client.groups("cibridge") == {}


def test_a_refused_group_names_it_with_the_rulers_words(mimir: StandIns) -> None:
    with pytest.raises(RulerRefused) as refused:
        _client(mimir.base).set_group("cibridge", {"name": "g", "rules": [{"alert": "A"}]})
    assert refused.value.exit_code == 1
    assert refused.value.message == (
        "the ruler refused group g: HTTP 400: "
        'group "g", rule 0, "A": field \'expr\' must be set in rule'
    )


def test_a_missing_tenant_gets_the_credentials_hint(mimir: StandIns) -> None:
    with pytest.raises(RulerRefused) as refused:
        _client(mimir.base, tenant="").groups("cibridge")
    assert "HTTP 401: no org id" in refused.value.message
    assert "RULER_TENANT" in refused.value.hint


@pytest.mark.parametrize(
    ("status", "body", "message", "hint"),
    [
        (
            404,
            "404 page not found\n",
            "HTTP 404: 404 page not found",
            "/prometheus/config/v1/rules",
        ),
        (200, "<html>login</html>", "not a YAML map of rule groups", "api:"),
    ],
)
def test_an_answer_that_is_not_a_rulers_list_is_refused(
    httpserver: HTTPServer, status: int, body: str, message: str, hint: str
) -> None:
    httpserver.expect_request("/prometheus/config/v1/rules/cibridge").respond_with_data(
        body, status=status
    )
    client = RulerClient(Transport(HttpSettings(retries=0)), httpserver.url_for("/"))
    with pytest.raises(RulerRefused) as refused:
        client.groups("cibridge")
    assert message in refused.value.message and hint in refused.value.hint
