"""Datadog monitors from the gate's checks: one per bound, the window and aggregation the
gate's verdict implies, tags that find them again, and the plan against what is there."""

from __future__ import annotations

from typing import Any

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.gate.monitors import left_out, plan, tag_value, wanted
from cibridge.gate.settings import Bound, MetricCheck


def _check(**given: Any) -> MetricCheck:
    fields: dict[str, Any] = {
        "name": "error_rate",
        "query": "sum:errors{service:checkout}.as_rate()",
        "where": "test",
        "source": "datadog",
        **given,
    }
    return MetricCheck(**fields)


def test_a_max_value_held_for_a_duration_is_every_point_above_the_bound() -> None:
    (item,) = wanted([_check(max_value=0.5, duration=300, interval=30)], "checkout")
    assert item.body["query"] == "min(last_5m):sum:errors{service:checkout}.as_rate() > 0.5"
    assert item.body["options"]["thresholds"] == {"critical": 0.5}
    assert set(item.body["tags"]) == {
        "cibridge-service:checkout",
        "cibridge-check:error_rate",
        "cibridge-bound:max",
        "managed-by:cibridge",
    }


def test_a_min_value_uses_max_over_the_window_and_a_single_look_the_aggregation() -> None:
    (held,) = wanted([_check(min_value=1, duration=90)], "checkout")
    assert held.body["query"].startswith("max(last_2m):")  # 90 s rounds up to 2 minutes
    assert held.body["query"].endswith(" < 1")
    (once,) = wanted([_check(min_value=1, aggregation="sum", interval=30)], "checkout")
    assert once.body["query"].startswith("sum(last_1m):")
    (last,) = wanted([_check(min_value=1, aggregation="last")], "checkout")
    assert last.body["query"].startswith("avg(last_1m):")
    assert "aggregation last watched as avg" in " ".join(
        left_out([_check(min_value=1, aggregation="last")])
    )


def test_expected_value_makes_two_monitors_with_the_numbers_the_reader_wrote() -> None:
    above, below = wanted([_check(expected_value=0.9, tolerance=Bound(0.05))], "checkout")
    assert above.body["query"].endswith(" > 0.95") and above.key[1] == "above-expected"
    assert below.body["query"].endswith(" < 0.85") and below.key[1] == "below-expected"


def test_prometheus_ignored_and_baseline_only_checks_make_none_and_say_why() -> None:
    from cibridge.gate.settings import Baseline

    checks = [
        _check(name="prom", source="prometheus", max_value=1),
        _check(name="quiet", max_value=1, failure_action="ignore"),
        _check(name="drift", baseline=Baseline(window=600, max_increase=Bound(0.1))),
    ]
    assert wanted(checks, "checkout") == []
    notes = left_out(checks)
    assert notes == [
        "prom: runs in Prometheus (see gate rules without --format)",
        "quiet: skipped (failure_action: ignore)",
        "drift: skipped (only a baseline comparison, which needs a deploy)",
    ]


def test_names_become_datadog_tags_and_two_names_meeting_in_one_tag_are_refused() -> None:
    assert tag_value("P99 Latency (ms)") == "p99_latency__ms_"
    assert len(tag_value("x" * 500)) == 150
    with pytest.raises(CibridgeError, match="'Error Rate' and 'error_rate' would both"):
        wanted([_check(name="Error Rate", max_value=1), _check(max_value=2)], "checkout")


def test_the_service_name_is_required_since_it_scopes_what_may_be_deleted() -> None:
    with pytest.raises(CibridgeError, match="service_name is not set"):
        wanted([_check(max_value=1)], "")


def test_template_braces_in_names_stay_text_in_the_message() -> None:
    (item,) = wanted([_check(name="a{{value}}", max_value=1)], "checkout")
    assert "{{" not in item.body["message"] and "{{" not in item.body["name"]


def _there(item_body: dict[str, Any], number: int, **changed: Any) -> dict[str, Any]:
    """The monitor as Datadog echoes it: its id, own fields, option defaults, floats."""
    options = {**item_body["options"], "notify_audit": False, "silenced": {}}
    options["thresholds"] = {k: float(v) for k, v in options["thresholds"].items()}
    return {**item_body, "id": number, "overall_state": "OK", "options": options, **changed}


def test_plan_adds_keeps_changes_and_removes() -> None:
    keep, change = wanted(
        [_check(name="a", max_value=1), _check(name="b", min_value=2)], "checkout"
    )
    (gone,) = wanted([_check(name="c", max_value=3)], "checkout")
    current = [
        _there(keep.body, 1),
        _there(change.body, 2, query=change.body["query"].replace("< 2", "< 3")),
        _there(gone.body, 3),
    ]
    steps = plan([keep, change], current)
    assert [(s.name, s.action, s.monitor_id) for s in steps] == [
        ("a (max)", "unchanged", 1),
        ("b (min)", "changed", 2),
        ("c (max)", "removed", 3),
    ]
    added = plan([keep], [])
    assert [(s.action, s.body) for s in added] == [("added", keep.body)]


def test_a_second_copy_of_a_monitor_is_removed_and_untagged_ones_are_left() -> None:
    (item,) = wanted([_check(max_value=1)], "checkout")
    clone = _there(item.body, 9)
    mine = _there(item.body, 4)
    theirs = {"id": 5, "tags": ["cibridge-service:checkout"], "query": "x"}
    steps = plan([item], [clone, theirs, mine])
    assert [(s.action, s.monitor_id) for s in steps] == [("unchanged", 4), ("removed", 9)]


class _Answering:
    """The client's one method the listing uses, answering ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def send(self, method: str, path: str, body: Any, what: str) -> Any:
        self.asked.append(f"{method} {path}")
        return self.answer


@pytest.mark.parametrize(
    "answer", [{"monitors": []}, [{"id": "1"}], [{"id": True}], ["monitor"], None]
)
def test_a_list_that_is_not_monitors_with_ids_is_an_error(answer: Any) -> None:
    from cibridge.gate.monitors import listed

    with pytest.raises(CibridgeError, match="not a JSON array of monitors with ids"):
        listed(_Answering(answer), "checkout")  # type: ignore[arg-type]


def test_the_listing_asks_by_the_service_tag_and_keeps_only_monitors_carrying_it() -> None:
    from cibridge.gate.monitors import listed

    client = _Answering([{"id": 1, "tags": ["cibridge-service:checkout"]}, {"id": 2}])
    assert [m["id"] for m in listed(client, "Check Out")] == []  # type: ignore[arg-type]
    assert client.asked == ["GET /api/v1/monitor?monitor_tags=cibridge-service%3Acheck_out"]
    assert [m["id"] for m in listed(client, "checkout")] == [1]  # type: ignore[arg-type]


def test_a_canary_comparison_makes_no_monitor_and_says_why() -> None:
    from cibridge.gate.settings import Comparison

    checks = [_check(name="canary", baseline_query="old", comparison=Comparison())]
    assert wanted(checks, "checkout") == []
    assert left_out(checks) == [
        "canary: skipped (a canary vs baseline comparison, which needs two versions running "
        "side by side during a deploy)"
    ]
