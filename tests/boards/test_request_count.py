"""What 100 referenced work items cost in requests (the figure docs/boards.md gives): one
batch read, each type's states once, and per item one comment read, one PATCH for state,
tag and both links together, one comment; a rerun only reads."""

from __future__ import annotations

from cibridge.boards import service
from cibridge.boards.patch import Link
from cibridge.boards.service import BoardsRequest, Found
from cibridge.clients.azure_devops import BoardsClient
from cibridge.demo.standins import AzureBoards, StandIns

RUN = "https://github.com/acme/checkout/actions/runs/7"
ITEMS = 100
# One request per item and operation: a read, the type's states, a PATCH each for the
# state, the tag and the two links, the comment read (rerun check) and the comment.
NAIVE = ITEMS * (1 + 1 + 1 + 1 + 2 + 1 + 1)


def test_100_items_cost_303_requests_and_a_rerun_103(
    client: BoardsClient, boards: AzureBoards, stand_ins: StandIns
) -> None:
    ids = [boards.add("User Story" if n % 2 else "Task", f"item {n}") for n in range(ITEMS)]
    request = BoardsRequest(
        items={n: Found(["commit"]) for n in ids},
        state_category="Completed",
        tags=["deployed:production"],
        links=[
            Link("Hyperlink", RUN),
            Link("Hyperlink", RUN.replace("actions/runs/7", "commit/abc")),
        ],
        comment="Deployed",
        marker="cibridge:0123456789abcdef",
    )
    first = service.run(request, service.Dependencies(client, lambda _: None))
    assert first.exit_code == 0 and first.requests == 1 + 2 + 3 * ITEMS == 303
    assert len(stand_ins.of("azure_boards")) == 303 and NAIVE == 800
    again = service.run(request, service.Dependencies(client, lambda _: None))
    assert again.requests - first.requests == 1 + 2 + ITEMS == 103
    assert {boards.item(n).state for n in ids} == {"Closed", "Done"}
    assert boards.spec_rejections == []
