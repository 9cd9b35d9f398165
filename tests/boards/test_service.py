"""The boards use case against the Azure Boards stand-in: one batch read, states per type,
one JSON Patch per item (test /rev first), the comment once per run and environment, and
every fault one item's failure."""

from __future__ import annotations

from collections import Counter

import pytest

from cibridge.boards import comment, service
from cibridge.boards.patch import Link
from cibridge.boards.service import NAMED, BoardsRequest, Found
from cibridge.clients.azure_devops import BoardsClient
from cibridge.demo.standins import AzureBoards, StandIns

RUN = "https://github.com/acme/checkout/actions/runs/7"
LINKS = [
    Link("Hyperlink", RUN, comment="deploy run 7"),
    Link("Hyperlink", "https://github.com/acme/checkout/commit/" + "a" * 40),
]


def _request(*ids: int, named: bool = False, **kwargs: object) -> BoardsRequest:
    items = {n: Found([NAMED] if named else ["commit abc"]) for n in ids}
    return BoardsRequest(items=items, marker=comment.marker(RUN, "production"), **kwargs)  # type: ignore[arg-type]


def _run(client: BoardsClient, request: BoardsRequest) -> service.BoardsResult:
    lines: list[str] = []
    return service.run(request, service.Dependencies(client, lines.append))


def _calls(stand_ins: StandIns) -> Counter[str]:
    found: Counter[str] = Counter()
    for r in stand_ins.of("azure_boards"):
        path = r.path.split("?")[0].rsplit("/_apis/wit/", 1)[1]
        kind = path.split("/")[0] + ("/comments" if path.endswith("/comments") else "")
        found[f"{r.method} {kind.lower()}"] += 1
    return found


def test_each_item_goes_to_its_own_types_completed_state_with_tags_links_and_one_comment(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    request = _request(
        100,
        101,
        102,
        state_category="Completed",
        tags=["deployed:production"],
        links=LINKS,
        comment="Deployed to production",
    )
    result = _run(client, request)
    assert result.exit_code == 0, [i.errors for i in result.items]
    states = {n: boards.item(n).state for n in (100, 101, 102)}
    assert states == {100: "Closed", 101: "Done", 102: "Closed"}  # Story, Task, Bug
    for number in (100, 101, 102):
        item = boards.item(number)
        assert item.tags == ["deployed:production"]
        assert [r["url"] for r in item.relations] == [link.url for link in LINKS]
        assert len(item.comments) == 1 and request.marker in item.comments[0]
    # One batch read, each type's states once, per item: comments read, one PATCH, one post.
    assert _calls(stand_ins) == {
        "POST workitemsbatch": 1,
        "GET workitemtypes": 3,
        "GET workitems/comments": 3,
        "PATCH workitems": 3,
        "POST workitems/comments": 3,
    }
    assert boards.spec_rejections == []
    assert result.requests == 13


def test_a_rerun_adds_nothing(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    request = _request(100, state="Closed", tags=["deployed:production"], links=LINKS, comment="x")
    assert _run(client, request).exit_code == 0
    rev = boards.item(100).rev
    again = _run(client, request)
    item = boards.item(100)
    assert again.items[0].actions == {
        "comment": "skipped: already commented for this run and environment",
        "state": "skipped: already Closed",
        "tags": "skipped: already tagged",
        "links": "skipped: already linked",
    }
    assert item.rev == rev and len(item.comments) == 1 and len(item.relations) == 2
    assert [r.method for r in stand_ins.of("azure_boards")].count("PATCH") == 1


def test_another_environment_comments_again(client: BoardsClient, boards: AzureBoards) -> None:
    _run(client, _request(100, comment="x"))
    other = _request(100, comment="y")
    other.marker = comment.marker(RUN, "staging")
    _run(client, other)
    assert len(boards.item(100).comments) == 2


def test_an_existing_tag_changes_nothing_and_tags_are_kept(
    client: BoardsClient, boards: AzureBoards
) -> None:
    number = boards.add("Task", "t", tags=["Deployed:Production", "backend"])
    result = _run(client, _request(number, tags=["deployed:production", "release-1"]))
    assert result.items[0].actions["tags"] == "done"
    assert boards.item(number).tags == ["Deployed:Production", "backend", "release-1"]
    again = _run(client, _request(number, tags=["deployed:production"]))
    assert again.items[0].actions["tags"] == "skipped: already tagged"


def test_an_invalid_state_fails_that_item_lists_the_valid_ones_and_still_tags(
    client: BoardsClient, boards: AzureBoards
) -> None:
    result = _run(client, _request(100, 101, state="Closed", tags=["shipped"]))
    story, task = sorted(result.items, key=lambda i: i.id)
    assert story.ok and boards.item(100).state == "Closed"
    assert task.actions["state"] == "failed" and task.actions["tags"] == "done"
    assert (
        "Task has no state 'Closed'; its states: To Do (Proposed), Doing (InProgress), Done (Completed)"
        in task.errors[0]
    )
    assert boards.item(101).tags == ["shipped"] and boards.item(101).state == "Doing"
    assert result.exit_code == 1


def test_fixes_moves_to_the_resolved_category_never_backwards(
    client: BoardsClient, boards: AzureBoards
) -> None:
    closed = boards.add("Bug", "old", "Closed")
    request = BoardsRequest(
        items={100: Found(["commit a"], fixed=True), 102: Found(["commit b"], fixed=True),
               closed: Found(["commit c"], fixed=True), 101: Found(["commit d"])},
        resolve_fixed=True,
    )  # fmt: skip
    result = _run(client, request)
    assert result.exit_code == 0
    assert boards.item(100).state == "Resolved" and boards.item(102).state == "Resolved"
    assert boards.item(closed).state == "Closed"  # not back from Completed
    assert boards.item(101).state == "Doing"  # not fixed: not moved


def test_a_concurrent_edit_is_read_again_and_sent_once_more_never_overwritten(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    boards.knobs.concurrent_edits[100] = 1
    result = _run(client, _request(100, state="Closed", tags=["x"]))
    assert result.exit_code == 0 and boards.item(100).state == "Closed"
    patches = [r for r in stand_ins.of("azure_boards") if r.method == "PATCH"]
    assert [r.status for r in patches] == [412, 200]
    assert patches[0].json[0] == {"op": "test", "path": "/rev", "value": 1}
    assert patches[1].json[0] == {"op": "test", "path": "/rev", "value": 2}  # read again


def test_two_concurrent_edits_fail_the_item_and_say_so(
    client: BoardsClient, boards: AzureBoards
) -> None:
    boards.knobs.concurrent_edits[100] = 2
    result = _run(client, _request(100, 101, state_category="Completed"))
    by_id = {i.id: i for i in result.items}
    assert by_id[101].ok and boards.item(101).state == "Done"  # the other item goes on
    assert by_id[100].actions["state"] == "failed"
    assert "TF26071" in by_id[100].errors[0] and "run the step again" in by_id[100].errors[0]
    assert boards.item(100).state == "Active"


def test_a_link_another_writer_just_added_is_success(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    boards.knobs.link_races[100] = RUN
    result = _run(client, _request(100, links=LINKS, state="Closed"))
    assert result.exit_code == 0, result.items[0].errors
    urls = [r["url"] for r in boards.item(100).relations]
    assert urls.count(RUN) == 1 and LINKS[1].url in urls
    statuses = [r.status for r in stand_ins.of("azure_boards") if r.method == "PATCH"]
    assert statuses == [400, 200]  # "Relation already exists", then without it


def test_a_rule_error_names_the_field_and_the_tags_still_go(
    client: BoardsClient, boards: AzureBoards
) -> None:
    boards.knobs.required[("User Story", "Closed")] = "Microsoft.VSTS.Common.ClosedReason"
    result = _run(client, _request(100, state="Closed", tags=["shipped"]))
    item = result.items[0]
    assert item.actions["state"] == "failed" and item.actions["tags"] == "done"
    assert (
        "refused field ClosedReason while moving from 'Active' to 'Closed': Required, InvalidEmpty"
        in item.errors[0]
    )
    assert "Rules" in item.errors[0]
    assert boards.item(100).tags == ["shipped"] and boards.item(100).state == "Active"


def test_forbidden_fails_that_item_only(client: BoardsClient, boards: AzureBoards) -> None:
    boards.knobs.forbidden.add(100)
    result = _run(client, _request(100, 101, tags=["x"]))
    by_id = {i.id: i for i in result.items}
    assert by_id[101].ok
    assert "HTTP 403: TF237111" in by_id[100].errors[0]
    assert "Edit work items in this node" in by_id[100].errors[0]


def test_missing_items_named_fail_mentioned_ones_are_skipped(client: BoardsClient) -> None:
    named = _run(client, _request(100, 999, named=True, tags=["x"]))
    assert named.missing == [999] and named.exit_code == 1
    mentioned = _run(client, _request(100, 998, tags=["y"]))
    assert mentioned.unknown == [998] and mentioned.exit_code == 0


def test_more_than_200_ids_are_read_in_batches_of_200(
    client: BoardsClient, stand_ins: StandIns
) -> None:
    found, missing = client.work_items(list(range(1, 451)))
    assert sorted(found) == [100, 101, 102] and len(missing) == 447
    batches = [r.json["ids"] for r in stand_ins.of("azure_boards")]
    assert [len(b) for b in batches] == [200, 200, 50]


def test_without_markdown_comments_the_comment_goes_as_history_once(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    boards.knobs.markdown_comments = False
    request = _request(100, 101, comment="Deployed <b>x</b>", tags=["t"])
    first = _run(client, request)
    assert first.exit_code == 0, [i.errors for i in first.items]
    for number in (100, 101):
        history = boards.item(number).history
        assert len(history) == 1 and request.marker in history[0]
        assert "&lt;b&gt;" in history[0]  # escaped, not markup
    again = _run(client, request)
    assert all(i.actions["comment"].startswith("skipped: already") for i in again.items)
    assert all(len(boards.item(n).history) == 1 for n in (100, 101))


def test_dry_run_sends_no_write_and_prints_each(
    stand_ins: StandIns, boards: AzureBoards, client: BoardsClient
) -> None:
    printed: list[tuple[str, str, object]] = []
    client.dry_run = lambda method, url, headers, body: printed.append(
        (method, headers["Content-Type"], body)
    )
    request = _request(100, state="Closed", tags=["x"], links=LINKS, comment="c", dry_run=True)
    result = _run(client, request)
    assert {r.method for r in stand_ins.of("azure_boards")} <= {"GET", "POST"}
    assert all("comments" not in r.path or r.method == "GET" for r in stand_ins.of("azure_boards"))
    assert boards.item(100).state == "Active" and boards.item(100).comments == []
    assert [p[:2] for p in printed] == [
        ("PATCH", "application/json-patch+json"),
        ("POST", "application/json"),
    ]
    assert result.items[0].actions["state"] == "would move to Closed"


def test_throttled_then_answered(client: BoardsClient, boards: AzureBoards) -> None:
    from cibridge.http.transport import HttpSettings, Transport

    boards.knobs.throttle_next = 1
    waits: list[float] = []
    client.transport = Transport(HttpSettings(retries=2), sleep=waits.append)
    result = _run(client, _request(100, tags=["x"]))
    assert result.exit_code == 0 and waits == [1.0]  # Retry-After honoured


def test_throttled_throughout_names_the_limit(client: BoardsClient, boards: AzureBoards) -> None:
    boards.knobs.throttle_next = 5  # more than the retries: the batch read itself fails
    with pytest.raises(Exception) as error:
        _run(client, _request(100, tags=["x"]))
    text = str(error.value)
    assert "HTTP 429: TF400733" in text and "resource ATCPU" in text and "remaining 0" in text
    assert "Retry-After 1s" in text and "run again later" in text
