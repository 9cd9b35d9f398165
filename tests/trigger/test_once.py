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


# -- the record as the trigger reads and writes it, against a client that keeps the property --


class _Jira:
    """A JiraClient's property calls, the stored value kept in memory."""

    def __init__(self, stored: object = None, dry_run: object = None) -> None:
        self.stored = stored
        self.dry_run = dry_run
        self.calls: list[tuple[object, ...]] = []

    def property(self, key: str, name: str) -> object:
        self.calls.append(("property", key, name))
        return json.loads(json.dumps(self.stored))

    def set_property(self, key: str, name: str, value: object) -> None:
        self.calls.append(("set_property", key, name))
        self.stored = json.loads(json.dumps(value))

    def issue(self, key: str, *, properties: tuple[str, ...] = (), history: bool = False):  # type: ignore[no-untyped-def]
        self.calls.append(("issue", key, tuple(properties), history))
        return "the issue"

    def search(self, query, cost=None, *, properties=(), history=False):  # type: ignore[no-untyped-def]
        self.calls.append(("search", query, cost, tuple(properties), history))
        return iter(["an issue"])


def test_the_stored_shape_is_a_versioned_map_of_signed_entries() -> None:
    record = once.Record("PROJ-1", key=KEY)
    record.add("r|p|status:1", "https://ci/run/1", "github:a/b/w.yml", "2026-01-01T00:00:00Z")
    signature = once.sign(
        KEY, "PROJ-1", "r|p|status:1",
        {"run": "https://ci/run/1", "target": "github:a/b/w.yml", "at": "2026-01-01T00:00:00Z"},
    )  # fmt: skip
    assert record.value() == {
        "version": 1,
        "dispatched": {
            "r|p|status:1": {
                "run": "https://ci/run/1",
                "target": "github:a/b/w.yml",
                "at": "2026-01-01T00:00:00Z",
                "sig": signature,
            }
        },
    }
    unsigned = once.Record("PROJ-1")
    unsigned.add("r|p|status:1", "run", "target", "at")
    assert unsigned.value() == {
        "version": 1,
        "dispatched": {"r|p|status:1": {"run": "run", "target": "target", "at": "at"}},
    }
    assert once.PROPERTY == "cibridge.trigger"


def test_the_signature_is_hmac_sha256_of_issue_name_and_the_three_fields() -> None:
    import hashlib
    import hmac

    entry = {"run": "https://ci/run/1", "target": "github:a/b/w.yml", "at": "2026-01-01", "x": 1}
    canonical = (
        '["PROJ-1","r|p|status:1",'
        '{"at":"2026-01-01","run":"https://ci/run/1","target":"github:a/b/w.yml"}]'
    )
    expected = hmac.new(KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    assert once.sign(KEY, "PROJ-1", "r|p|status:1", entry) == expected
    # A missing field signs as empty; fields other than the three are not signed.
    assert once.sign(KEY, "PROJ-1", "n", {"run": "r"}) == once.sign(
        KEY, "PROJ-1", "n", {"run": "r", "target": "", "at": "", "sig": "ignored"}
    )
    assert once.sign(KEY, "PROJ-1", "n", {"run": "r"}) != once.sign(
        "other", "PROJ-1", "n", {"run": "r"}
    )


def test_change_id_is_a_short_hmac_of_subject_and_entry_under_the_trigger_key() -> None:
    import hashlib
    import hmac

    key, secret = "issue_status_trigger|p|status:13", "k" * 64
    mac = hmac.new(secret.encode(), f"PROJ-1|{key}".encode(), hashlib.sha256)
    expected = "cib-" + mac.hexdigest()[:16]
    assert once.change_id("PROJ-1", key, secret) == expected
    assert len(expected) == 20
    assert once.change_id("PROJ-2", key, secret) != expected
    assert once.change_id("PROJ-1", key + "x", secret) != expected
    assert once.change_id("PROJ-1", key, "j" * 64) != expected


def test_the_status_change_is_the_latest_entry_of_the_status_field_only() -> None:
    # A later entry of another field whose value happens to be the status does not count,
    # nor does a later label change; a status arrival in another letter case does.
    history = [
        Change("10", "status", "In Review", "READY FOR DEPLOYMENT"),
        Change("11", "resolution", "", "Ready for Deployment"),
        Change("12", "labels", "", "Ready"),
    ]
    assert once.change_of(STATUS, history) == "status:10"
    # The latest arrival is searched from the end: a later move out does not undo it.
    moved_out = [*history, Change("13", "status", "READY FOR DEPLOYMENT", "Done")]
    assert once.change_of(STATUS, moved_out) == "status:10"
    # A history that never set the status: the issue was created in it.
    assert once.change_of(STATUS, [Change("9", "status", "Open", "In Review")]) == "status:initial"


def test_the_label_change_is_the_latest_entry_that_added_it() -> None:
    history = [
        Change("5", "labels", "", "deploy"),
        Change("6", "labels", "deploy", ""),  # removed
        Change("7", "labels", "", "deploy x"),  # re-added: a new change
        Change("8", "labels", "deploy x", "deploy x y"),  # still carried, not added
        Change("9", "status", "", "deploy"),  # another field
        Change("10", "labels", "", "deployment"),  # another label, not a word of it
    ]
    assert once.change_of(LABEL, history) == "label:deploy:7"
    assert once.change_of(LABEL, history[:2]) == "label:deploy:5"
    # Carried from creation, changes of other labels only.
    assert once.change_of(LABEL, [Change("1", "labels", "deploy", "deploy y")]) == (
        "label:deploy:initial"
    )
    assert once.entry_key(LABEL, "label:deploy:7") == "label_trigger|p|label:deploy:7"


def test_the_oldest_entry_that_no_longer_matches_goes_first() -> None:
    record = once.Record("PROJ-1")
    big = "r" * 9_000
    record.add("a", big, "t", "2026-01-01T00:00:03")
    record.add("b", big, "t", "2026-01-01T00:00:01")  # the oldest, but still matching
    record.add("c", big, "t", "2026-01-01T00:00:02")
    assert list(record.entries) == ["a", "b", "c"]
    record.add("d", big, "t", "2026-01-01T00:00:00", keep=frozenset({"b"}))
    # "d" is the oldest by its time but is the entry being added: "c" goes.
    assert list(record.entries) == ["a", "b", "d"]
    assert len(json.dumps(record.value())) <= once.MAX_CHARS


def test_the_record_holds_30000_characters_and_no_more() -> None:
    # Jira caps a property at 32,768; 30,000 leaves room for what Jira adds around it.
    import pytest

    from cibridge.clients.jira import JiraError

    record = once.Record("PROJ-1")
    record.add("a", "", "t", "1")
    fill = 30_000 - len(json.dumps(record.value()))
    record.add("a", "r" * fill, "t", "1")
    assert len(json.dumps(record.value())) == 30_000
    record.add("b", "", "t", "2")
    # The second entry does not fit beside the first: the older one made room.
    assert list(record.entries) == ["b"]
    alone = once.Record("PROJ-1")
    with pytest.raises(JiraError, match="is full"):  # one character more does not fit at all
        alone.add("a", "r" * (fill + 1), "t", "1")


def test_a_full_record_is_an_error_naming_the_issue_and_the_count() -> None:
    import pytest

    from cibridge.clients.jira import JiraError

    record = once.Record("PROJ-9")
    record.add("a", "r" * 20_000, "t", "1")
    with pytest.raises(JiraError) as full:
        record.add("b", "r" * 20_000, "t", "2", keep=frozenset({"a"}))
    assert str(full.value).startswith(
        "PROJ-9: the dispatch record cibridge.trigger is full (2 entries that still match)"
    )
    assert full.value.status == 200
    assert full.value.hint == (
        "the pipeline started; so many rules or versions match this issue that cibridge "
        "cannot remember them all: split the rules, or narrow version_pattern"
    )


def test_reading_and_searching_ask_for_the_record_and_the_history() -> None:
    from cibridge.clients.jira import SearchCost

    jira = _Jira()
    assert once.current(jira, "PROJ-1") == "the issue"  # type: ignore[arg-type]
    cost = SearchCost()
    assert list(once.search(jira, "status = Done", cost)) == ["an issue"]  # type: ignore[arg-type]
    assert list(once.search(jira, "status = Open")) == ["an issue"]  # type: ignore[arg-type]
    assert jira.calls == [
        ("issue", "PROJ-1", ("cibridge.trigger",), True),
        ("search", "status = Done", cost, ("cibridge.trigger",), True),
        ("search", "status = Open", None, ("cibridge.trigger",), True),
    ]


def test_a_carried_record_is_none_only_when_the_answer_carried_no_properties() -> None:
    from cibridge.clients.jira import Issue

    assert once.carried(Issue("PROJ-1")) is None
    assert once.carried(Issue("PROJ-1", properties={})).entries == {}  # type: ignore[union-attr]
    # Without a trigger key nothing is checked: an unsigned entry counts.
    unsigned = {once.PROPERTY: {"version": 1, "dispatched": {"n": {"run": "r"}}}}
    assert once.carried(Issue("PROJ-1", properties=unsigned)).entries == {"n": {"run": "r"}}  # type: ignore[union-attr]
    record = once.Record("PROJ-1", key=KEY)
    record.add("r|p|status:1", "run", "t", "at")
    carried = once.carried(Issue("PROJ-1", properties={once.PROPERTY: record.value()}), KEY)
    assert carried is not None and carried.entries == record.entries
    assert carried.issue == "PROJ-1" and carried.key == KEY
    # The key is what the carried entries are checked against.
    forged = once.carried(Issue("PROJ-1", properties={once.PROPERTY: record.value()}), "x")
    assert forged is not None and forged.entries == {} and forged.key == "x"


def test_read_asks_jira_for_the_property_of_that_issue() -> None:
    record = once.Record("PROJ-1", key=KEY)
    record.add("r|p|status:1", "run", "t", "at")
    jira = _Jira(record.value())
    read = once.read(jira, "PROJ-1", KEY)  # type: ignore[arg-type]
    assert jira.calls == [("property", "PROJ-1", "cibridge.trigger")]
    assert read.entries == record.entries and read.key == KEY and read.warnings == []
    assert once.read(jira, "PROJ-1").entries == record.entries  # no key: nothing is checked


def test_a_property_that_is_not_an_object_names_the_issue_in_its_warning() -> None:
    record = once._parse("PROJ-3", ["dispatched"], KEY)
    assert record.warnings == [
        "PROJ-3: the issue property cibridge.trigger is not cibridge's dispatch record: ignored"
    ]
    assert record.issue == "PROJ-3" and record.key == KEY


def test_an_entry_that_is_not_an_object_is_kept_without_a_key_and_refused_with_one() -> None:
    record = once._parse("PROJ-1", {"dispatched": {"a": 7, "b": None}})
    assert record.entries == {"a": {"run": "7"}, "b": {"run": "None"}}
    assert record.warnings == []
    refused = once._parse("PROJ-1", {"dispatched": {"a": 7}}, KEY)
    assert refused.entries == {}
    assert refused.warnings == [
        "PROJ-1: record entry a is unsigned or its signature does not match "
        "CIBRIDGE_TRIGGER_KEY: ignored, not trusted"
    ]


def test_a_signature_that_is_not_a_string_is_refused() -> None:
    entry = {"run": "r", "target": "t", "at": "a"}
    value = {"dispatched": {"n": {**entry, "sig": 0}}}
    assert once._parse("PROJ-1", value, KEY).entries == {}
    good = {"dispatched": {"n": {**entry, "sig": once.sign(KEY, "PROJ-1", "n", entry)}}}
    assert list(once._parse("PROJ-1", good, KEY).entries) == ["n"]
    # Only the bad entry is dropped; the good one beside it stays.
    both = {"dispatched": {"m": {**entry, "sig": "0" * 64}, **good["dispatched"]}}
    mixed = once._parse("PROJ-1", both, KEY)
    assert list(mixed.entries) == ["n"] and len(mixed.warnings) == 1


def test_writing_merges_what_another_run_wrote_and_keeps_this_runs_entry() -> None:
    theirs = once.Record("PROJ-1", key=KEY)
    theirs.add("b", "run B", "t", "2026-01-01T00:00:01")
    theirs.add("a", "run B's view of a", "t", "2026-01-01T00:00:01")
    jira = _Jira(theirs.value())
    mine = once.Record("PROJ-1", key=KEY)
    mine.add("a", "run A", "t", "2026-01-01T00:00:02")
    once.write(jira, mine, "a")  # type: ignore[arg-type]
    assert jira.calls == [
        ("property", "PROJ-1", "cibridge.trigger"),
        ("set_property", "PROJ-1", "cibridge.trigger"),
    ]
    stored = once._parse("PROJ-1", jira.stored, KEY)
    assert stored.warnings == []
    assert {k: v["run"] for k, v in stored.entries.items()} == {"a": "run A", "b": "run B"}
    assert (
        stored.entries["a"]
        == mine.entries["a"]
        == {
            "run": "run A",
            "target": "t",
            "at": "2026-01-01T00:00:02",
            "sig": once.sign(
                KEY, "PROJ-1", "a", {"run": "run A", "target": "t", "at": "2026-01-01T00:00:02"}
            ),
        }
    )


def test_writing_merges_only_entries_signed_with_the_key() -> None:
    forged = {"version": 1, "dispatched": {"x": {"run": "forged", "target": "t", "at": "0"}}}
    jira = _Jira(forged)
    mine = once.Record("PROJ-1", key=KEY)
    mine.add("a", "run A", "t", "1")
    once.write(jira, mine, "a")  # type: ignore[arg-type]
    assert list(jira.stored["dispatched"]) == ["a"]  # type: ignore[index]


def test_writing_a_merged_record_still_honours_the_size_limit_and_keep() -> None:
    theirs = once.Record("PROJ-1")
    theirs.add("kept", "r" * 14_000, "t", "2026-01-01T00:00:00")
    theirs.add("old", "r" * 14_000, "t", "2026-01-01T00:00:01")
    jira = _Jira(theirs.value())
    mine = once.Record("PROJ-1")
    mine.add("mine", "r" * 14_000, "t", "2026-01-01T00:00:02")
    once.write(jira, mine, "mine", keep=frozenset({"kept"}))  # type: ignore[arg-type]
    assert set(jira.stored["dispatched"]) == {"kept", "mine"}  # type: ignore[index]
    assert len(json.dumps(jira.stored)) <= once.MAX_CHARS


def test_a_dry_run_writes_without_reading() -> None:
    jira = _Jira({"version": 1, "dispatched": {"b": {"run": "B"}}}, dry_run=print)
    mine = once.Record("PROJ-1")
    mine.add("a", "run A", "t", "1")
    once.write(jira, mine, "a")  # type: ignore[arg-type]
    assert jira.calls == [("set_property", "PROJ-1", "cibridge.trigger")]
    assert list(jira.stored["dispatched"]) == ["a"]  # type: ignore[index]


def test_an_entry_without_a_time_is_the_oldest() -> None:
    # An entry of another shape (read as {"run": ...}) has no time: it makes room first.
    record = once._parse("PROJ-1", {"dispatched": {"legacy": "r" * 10_000}})
    record.add("new", "r" * 10_000, "t", "2026-01-01T00:00:00")
    record.add("newer", "r" * 10_000, "t", "2026-01-01T00:00:01")
    assert list(record.entries) == ["new", "newer"]


def test_writing_an_entry_read_in_another_shape_stores_its_missing_fields_empty() -> None:
    # An entry read as {"run": ...} has no target and no time: written back, both are empty
    # strings, so it is still the oldest entry (the first to make room), not one dated "None".
    run = "r" * 10_000
    record = once._parse("PROJ-1", {"dispatched": {"legacy": run}})
    jira = _Jira()
    once.write(jira, record, "legacy")  # type: ignore[arg-type]
    assert jira.stored == {
        "version": 1,
        "dispatched": {"legacy": {"run": run, "target": "", "at": ""}},
    }
    stored = once._parse("PROJ-1", jira.stored)
    stored.add("new", run, "t", "2026-01-01T00:00:00")
    stored.add("newer", run, "t", "2026-01-01T00:00:01")
    assert list(stored.entries) == ["new", "newer"]
