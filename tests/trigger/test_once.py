"""The exactly-once record: which change started what, and its size bound."""

from __future__ import annotations

import json

from cibridge.clients.jira import Change
from cibridge.trigger import once
from cibridge.trigger.rules import Match

STATUS = Match(
    "issue_status_trigger", "p", "PROJ-1", "s", "why", "", "", "status", "Ready for Deployment"
)
LABEL = Match("label_trigger", "p", "PROJ-1", "s", "why", "", "", "labels", "deploy")


def test_the_latest_arrival_in_the_status_is_the_change() -> None:
    history = [
        Change("10", "status", "In Review", "Ready for Deployment"),
        Change("11", "status", "Ready for Deployment", "Deployed"),
        Change("12", "labels", "", "deploy"),
        Change("13", "status", "Deployed", "ready for deployment"),
    ]
    assert once.change_of(STATUS, history) == "status:13"
    assert once.change_of(STATUS, history[:2]) == "status:10"
    assert once.change_of(STATUS, []) == "status:initial"


def test_a_label_change_is_the_one_that_added_it() -> None:
    history = [Change("5", "labels", "", "deploy"), Change("6", "labels", "deploy", "deploy other")]
    assert once.change_of(LABEL, history) == "label:deploy:5"
    assert once.change_of(LABEL, []) == "label:deploy:initial"


def test_a_version_match_carries_its_own_change() -> None:
    version = Match("version_trigger", "p", "PROJ-1", "s", "why", "v1", "version:10101")
    assert once.change_of(version, [Change("1", "status", "", "x")]) == "version:10101"


def test_the_record_drops_the_oldest_entries_to_stay_under_jiras_limit() -> None:
    record = once.Record("PROJ-1")
    for n in range(400):
        record.add(
            f"rule|pipeline|status:{n}",
            "https://ci.example.com/" + "r" * 60,
            "github:a/b/c.yml",
            f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}",
        )
    assert len(json.dumps(record.value())) <= once.MAX_CHARS
    assert "rule|pipeline|status:399" in record.entries
    assert "rule|pipeline|status:0" not in record.entries


def test_writing_keeps_an_entry_another_run_wrote_meanwhile(stand_ins) -> None:  # type: ignore[no-untyped-def]
    from cibridge.clients.jira import JiraClient
    from cibridge.demo.standins import JIRA_EMAIL, JIRA_TOKEN, jira_of
    from cibridge.http import auth
    from cibridge.http.transport import HttpSettings, Transport

    client = JiraClient(
        Transport(HttpSettings()), stand_ins.base + "/jira", auth.Basic(JIRA_EMAIL, JIRA_TOKEN), 3
    )
    mine = once.read(client, "PROJ-1")
    theirs = once.read(client, "PROJ-1")
    theirs.add("label_trigger|p|label:x:1", "run B", "t", "2026-01-01T00:00:01")
    once.write(client, theirs, "label_trigger|p|label:x:1")
    mine.add("issue_status_trigger|p|status:2", "run A", "t", "2026-01-01T00:00:02")
    once.write(client, mine, "issue_status_trigger|p|status:2")
    stored = jira_of(stand_ins).issue("PROJ-1").properties[once.PROPERTY]["dispatched"]
    assert sorted(entry["run"] for entry in stored.values()) == ["run A", "run B"]


def test_entries_of_what_still_matches_are_never_evicted_and_a_full_record_says_so() -> None:
    import pytest

    from cibridge.clients.jira import JiraError

    record = once.Record("PROJ-1")
    keys = [f"version_trigger|p|version:{n}" for n in range(200)]
    with pytest.raises(JiraError, match=r"dispatch record cibridge\.trigger is full") as full:
        for n, key in enumerate(keys):
            record.add(key, "https://ci.example.com/" + "r" * 60, "github:a/b/c.yml",
                       f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}", keep=frozenset(keys))  # fmt: skip
    assert "the pipeline started" in full.value.hint
    # Nothing that still matches was dropped to make room.
    assert all(key in record.entries for key in keys[: len(record.entries) - 1])


def test_an_entry_of_another_shape_still_counts_as_dispatched() -> None:
    key = "issue_status_trigger|project1-deployment-pipeline|status:initial"
    record = once._parse("PROJ-1", {"dispatched": {key: "x"}})
    assert record.get(key) == {"run": "x"}


KEY = "k" * 64


def test_a_signed_entry_is_trusted_and_any_change_to_it_is_ignored_with_a_warning() -> None:
    record = once.Record("PROJ-1", key=KEY)
    record.add("r|p|status:1", "https://ci/run/1", "github:a/b/w.yml", "2026-01-01T00:00:00Z")
    value = json.loads(json.dumps(record.value()))
    assert once._parse("PROJ-1", value, KEY).get("r|p|status:1") == record.entries["r|p|status:1"]
    assert once._parse("PROJ-1", value, "other key").entries == {}
    assert once._parse("PROJ-2", value, KEY).entries == {}  # copied to another issue
    moved = {"version": 1, "dispatched": {"r|p|status:2": value["dispatched"]["r|p|status:1"]}}
    assert once._parse("PROJ-1", moved, KEY).entries == {}  # copied to another change
    for name in ("run", "target", "at"):
        forged = json.loads(json.dumps(value))
        forged["dispatched"]["r|p|status:1"][name] += "x"
        parsed = once._parse("PROJ-1", forged, KEY)
        assert parsed.entries == {}
        (warning,) = parsed.warnings
        assert "r|p|status:1" in warning and "ignored" in warning
    unsigned = once._parse("PROJ-1", {"dispatched": {"r|p|\x1b[2Jx": {"run": "y"}}}, KEY)
    assert unsigned.entries == {} and "\x1b" not in unsigned.warnings[0]


def test_a_property_of_another_shape_is_ignored_with_a_warning_never_an_error() -> None:
    for value in ([1], "x", {"dispatched": []}, {"version": 1}):
        record = once._parse("PROJ-1", value, KEY)
        assert record.entries == {}
        assert "not cibridge's dispatch record" in record.warnings[0]
    assert once._parse("PROJ-1", None, KEY).warnings == []
