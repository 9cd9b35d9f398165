"""The rollback record's context and description stay within what GitHub and GitLab take,
and the once-only order holds: read, dispatch, then write; nothing written on a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cibridge.clients.pipelines import Started
from cibridge.clients.statuses import Place, Status
from cibridge.clients.targets import Target
from cibridge.core.errors import CibridgeError, failure
from cibridge.gate import rollback

PLACE = Place("github", "https://api.github.com", "acme/checkout", "a" * 40)
TARGET = Target("github", "https://api.github.com", "acme/checkout", "rollback.yml")


@dataclass
class FakeStatuses:
    found: Status | None = None
    unreadable: bool = False
    refuse_write: bool = False
    calls: list[str] = field(default_factory=list)

    def find(self, place: Place, context: str, state: str) -> Status | None:
        self.calls.append(f"find {context} {state}")
        if self.unreadable:
            raise failure("GitHub refused to list the commit statuses")
        return self.found

    def write(
        self, place: Place, context: str, state: str, description: str, target_url: str
    ) -> None:
        self.calls.append(f"write {context} {state} {description} {target_url}")
        if self.refuse_write:
            raise failure("GitHub refused to write the status")


@dataclass
class FakeStarter:
    refuse: bool = False
    started: list[dict[str, str]] = field(default_factory=list)

    def start(self, target: Target, values: dict[str, str]) -> Started:
        if self.refuse:
            raise failure("GitHub refused to start acme/checkout rollback.yml")
        self.started.append(values)
        return Started("started acme/checkout rollback.yml on main")


def _request(environment: str = "production", dry_run: bool = False) -> rollback.RollbackRequest:
    return rollback.RollbackRequest(
        "rollback", TARGET, PLACE, environment, {}, dry_run, "https://github.com/runs"
    )


def test_the_context_names_the_environment() -> None:
    assert rollback.context_for("production") == "cibridge/rollback/production"
    assert rollback.context_for("") == "cibridge/rollback"


@pytest.mark.parametrize("length", [236, 237, 238, 255, 1000])
def test_a_long_environment_is_cut_to_255_and_two_long_names_stay_apart(length: int) -> None:
    name = "e" * length
    context = rollback.context_for(name)
    assert len(context) <= rollback.MAX_CONTEXT
    assert context.startswith("cibridge/rollback/eeee")
    assert rollback.context_for(name + "x") != context
    assert rollback.context_for(name) == context  # the same name finds its record again


def test_the_description_stays_within_githubs_140() -> None:
    assert len(rollback.description_for("github:acme/" + "x" * 300)) == rollback.MAX_DESCRIPTION
    assert rollback.description_for("gitlab:42@main") == "rollback dispatched: gitlab:42@main"


def test_the_record_is_read_before_and_written_after_the_dispatch() -> None:
    statuses, starter = FakeStatuses(), FakeStarter()
    outcome = rollback.run(_request(), statuses, starter, lambda _line: None)
    assert outcome.dispatched and outcome.url == "https://github.com/runs"
    assert statuses.calls == [
        "find cibridge/rollback/production success",
        "write cibridge/rollback/production success rollback dispatched: "
        "github:acme/checkout/rollback.yml https://github.com/runs",
    ]


def test_a_record_found_starts_nothing_and_says_where_the_first_went() -> None:
    found = Status("cibridge/rollback/production", "success", "rollback dispatched: x", "https://r")
    said: list[str] = []
    outcome = rollback.run(_request(), FakeStatuses(found), starter := FakeStarter(), said.append)
    assert not outcome.dispatched and outcome.url == "https://r" and not starter.started
    assert said == [
        "rollback: not dispatched again, cibridge/rollback/production on "
        "github:acme/checkout@aaaaaaaaaaaa says: rollback dispatched: x (https://r)"
    ]


def test_unreadable_statuses_and_a_refused_dispatch_write_nothing() -> None:
    unreadable, starter = FakeStatuses(unreadable=True), FakeStarter()
    with pytest.raises(CibridgeError, match="list the commit statuses"):
        rollback.run(_request(), unreadable, starter, lambda _line: None)
    assert not starter.started
    statuses = FakeStatuses()
    with pytest.raises(CibridgeError, match="refused to start"):
        rollback.run(_request(), statuses, FakeStarter(refuse=True), lambda _line: None)
    assert [c for c in statuses.calls if c.startswith("write")] == []


def test_a_dispatch_whose_record_cannot_be_written_is_a_failure() -> None:
    outcome = rollback.run(
        _request(), FakeStatuses(refuse_write=True), FakeStarter(), lambda _line: None
    )
    assert outcome.dispatched and outcome.exit_code == 1
    assert "could not be written" in outcome.detail


def test_a_dry_run_reads_starts_and_writes_nothing() -> None:
    statuses, starter = FakeStatuses(), FakeStarter()
    outcome = rollback.run(_request(dry_run=True), statuses, starter, lambda _line: None)
    assert not outcome.dispatched and not statuses.calls and not starter.started
