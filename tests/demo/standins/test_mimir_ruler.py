"""The Mimir ruler stand-in refuses what Mimir refuses, in Mimir's words, and keeps each
tenant's namespaces apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from cibridge.demo.standins import StandIns
from cibridge.demo.standins.mimir_ruler import RULER_TENANT
from tests.demo.standins.client import send
from tests.demo.standins.mimir import ruler_of, serving

RULES = "/mimir/prometheus/config/v1/rules"
TENANT = {"X-Scope-OrgID": RULER_TENANT}
GROUP = """name: cibridge-gate-api
interval: 60s
rules:
  - alert: Errors
    expr: rate(errors_total[5m]) > 1
    for: 300s
    labels: {severity: critical}
"""


@pytest.fixture
def mimir() -> Iterator[StandIns]:
    with serving() as servers:
        yield servers


def test_a_group_is_stored_and_listed_back_with_go_durations(mimir: StandIns) -> None:
    stored = send(mimir.base, f"{RULES}/cibridge", GROUP.encode(), headers=TENANT)
    assert stored.status == 202
    assert stored.json == {"status": "success", "data": None, "errorType": "", "error": ""}
    listed = send(mimir.base, f"{RULES}/cibridge", method="GET", headers=TENANT)
    assert listed.status == 200 and listed.headers["Content-Type"] == "application/yaml"
    (group,) = yaml.safe_load(listed.body)["cibridge"]
    assert group["interval"] == "1m" and group["rules"][0]["for"] == "5m"
    # Cortex's legacy prefix reaches the same store.
    legacy = send(mimir.base, "/mimir/api/v1/rules/cibridge", method="GET", headers=TENANT)
    assert yaml.safe_load(legacy.body) == yaml.safe_load(listed.body)


def test_tenants_and_namespaces_are_kept_apart(mimir: StandIns) -> None:
    send(mimir.base, f"{RULES}/cibridge", GROUP.encode(), headers=TENANT)
    other = send(mimir.base, f"{RULES}/cibridge", method="GET", headers={"X-Scope-OrgID": "b"})
    assert (other.status, other.body) == (404, b"no rule groups found\n")
    elsewhere = send(mimir.base, f"{RULES}/team", method="GET", headers=TENANT)
    assert elsewhere.status == 404


def test_the_tenant_header_is_required_unless_single_tenant(mimir: StandIns) -> None:
    refused = send(mimir.base, f"{RULES}/cibridge", GROUP.encode())
    assert (refused.status, refused.body) == (401, b"no org id\n")
    ruler_of(mimir).require_tenant = False
    assert send(mimir.base, f"{RULES}/cibridge", GROUP.encode()).status == 202
    assert ruler_of(mimir).groups[("anonymous", "cibridge")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "rules: [{alert: A, expr: up}]\n",
            "invalid rules config: rule group name must not be empty",
        ),
        ("name: g\nrules: []\n", "invalid rules config: rule group 'g' has no rules"),
        (
            "name: g\nrules: [{expr: up}]\n",
            "group \"g\", rule 0, \"\": one of 'record' or 'alert' must be set",
        ),
        (
            "name: g\nrules: [{alert: A}]\n",
            'group "g", rule 0, "A": field \'expr\' must be set in rule',
        ),
        (
            "name: g\nrules: [{record: 'a-b', expr: up, for: 1m}]\n",
            'group "g", rule 0, "a-b": invalid field \'for\' in recording rule, '
            'group "g", rule 0, "a-b": invalid recording rule name: a-b',
        ),
        ("name: g\nrules: [{alert: A, expr: up, labels: {a-b: x}}]\n", "invalid label name: a-b"),
        ("name: g\nowner: me\nrules: [{alert: A, expr: up}]\n", "unable to decoded rule group"),
        ("name: g\nrules: [{alert: A, expr: up, for: soon}]\n", "unable to decoded rule group"),
        ("{{{ not yaml", "unable to decoded rule group"),
    ],
)
def test_invalid_groups_are_refused_in_mimirs_words(
    mimir: StandIns, body: str, message: str
) -> None:
    refused = send(mimir.base, f"{RULES}/cibridge", body.encode(), headers=TENANT)
    assert refused.status == 400 and message in refused.body.decode(), refused.body
    assert not ruler_of(mimir).groups


def test_the_rules_per_group_limit_is_mimirs(mimir: StandIns) -> None:
    ruler_of(mimir).max_rules_per_group = 1
    two = GROUP + "  - record: job:up\n    expr: up\n"
    refused = send(mimir.base, f"{RULES}/cibridge", two.encode(), headers=TENANT)
    assert refused.body == b"per-user rules per rule group limit (limit: 1 actual: 2) exceeded\n"


def test_a_group_is_deleted_once(mimir: StandIns) -> None:
    send(mimir.base, f"{RULES}/cibridge", GROUP.encode(), headers=TENANT)
    target = f"{RULES}/cibridge/cibridge-gate-api"
    assert send(mimir.base, target, method="DELETE", headers=TENANT).status == 202
    again = send(mimir.base, target, method="DELETE", headers=TENANT)
    assert (again.status, again.body) == (404, b"group does not exist\n")
