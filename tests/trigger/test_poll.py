"""Polling: the filter cannot widen a rule; the searches page through everything."""

from __future__ import annotations

import pytest

from cibridge.clients.jira import JiraClient, SearchCost
from cibridge.core.errors import CibridgeError
from cibridge.demo.standins import JIRA_EMAIL, JIRA_TOKEN, StandIns, jira_of
from cibridge.http import auth
from cibridge.http.transport import HttpSettings, Transport
from cibridge.trigger.poll import with_filter


def test_filter_is_anded_and_an_or_is_parenthesised() -> None:
    assert with_filter("labels = a", "") == "labels = a"
    assert with_filter("labels = a", "project = X") == "labels = a AND project = X"
    assert (
        with_filter("labels = a", "project = X or project = Y")
        == "labels = a AND (project = X or project = Y)"
    )


def test_search_follows_next_page_tokens_and_reads_release_state(stand_ins: StandIns) -> None:
    jira = jira_of(stand_ins)
    for n in range(250):
        jira.add_issue("OPS", f"n{n}", labels=["bulk"])
    client = JiraClient(
        Transport(HttpSettings()), stand_ins.base + "/jira", auth.Basic(JIRA_EMAIL, JIRA_TOKEN), 3
    )
    cost = SearchCost()
    found = list(client.search("labels = bulk", cost))
    assert len({i.key for i in found}) == 250 and cost.requests == 3
    (released,) = [v for v in client.issue("PROJ-5").fix_versions]
    assert (released.name, released.released) == ("v1.2.2", True)
    assert jira.spec_rejections == []


def test_changes_come_from_the_issue_history(stand_ins: StandIns) -> None:
    jira = jira_of(stand_ins)
    client = JiraClient(
        Transport(HttpSettings()), stand_ins.base + "/jira", auth.Basic(JIRA_EMAIL, JIRA_TOKEN), 3
    )
    client.transition("PROJ-3", "41", {})  # In Review -> Ready for Deployment
    client.add_fix_version("PROJ-3", "v1.2.3")
    (change,) = client.changes("PROJ-3", ("status", "labels"))
    assert (change.field, change.before, change.after) == (
        "status",
        "In Review",
        "Ready for Deployment",
    )
    assert jira.spec_rejections == []


@pytest.mark.parametrize(
    "hostile",
    [
        "project = PROJ1) OR (project is not EMPTY",
        "project = X) OR project is not EMPTY OR (x = y",
        ")",
    ],
)
def test_a_filter_that_would_close_the_group_is_refused(hostile: str) -> None:
    with pytest.raises(CibridgeError, match="parentheses do not balance"):
        with_filter("labels = a", hostile)


def test_parentheses_inside_quotes_do_not_count() -> None:
    assert with_filter("labels = a", 'summary ~ "a)" or summary ~ "(b"') == (
        'labels = a AND (summary ~ "a)" or summary ~ "(b")'
    )
