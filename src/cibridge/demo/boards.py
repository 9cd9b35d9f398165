"""The demo's Azure Boards chapter: the loopback Azure Boards' three work items, moved to
their type's Completed state, tagged, linked and commented as a deploy would, twice (the
rerun adds nothing), and shown before and after."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import EXIT_OK

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns
    from cibridge.demo.standins.azure_boards import AzureBoards

ENVIRONMENT = "production"
TAG = "deployed:production"


def _table(stage: Stage, boards: AzureBoards, numbers: list[int], title: str) -> None:
    from cibridge.report.outputs import table

    rows = []
    for number in numbers:
        item = boards.item(number)
        rows.append(
            (
                f"AB#{number}",
                item.type,
                item.title,
                item.state,
                ", ".join(item.tags),
                str(len(item.comments)),
                str(len(item.relations)),
            )
        )
    columns = ("item", "type", "title", "state", "tags", "comments", "links")
    stage.platform.print(f"{title}\n{table(columns, rows, rendered=False)}")


def chapter(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    """A commit naming AB#100, AB#101 and AB#102 deployed to production."""
    from cibridge.boards import comment, discover, reporting, service, settings
    from cibridge.boards.patch import Link
    from cibridge.clients.azure_devops import BoardsClient
    from cibridge.config.loader import Config
    from cibridge.demo.standins import boards_of
    from cibridge.http.transport import HttpSettings, Transport

    boards = boards_of(stand_ins)
    numbers = sorted(boards.items)[:3]
    stage.context.environment = ENVIRONMENT
    message = f"Show the cart total (AB#{numbers[0]}, AB#{numbers[1]}), fixes AB#{numbers[2]}"
    stage.platform.print(f"The commit deployed: {message!r}")
    _table(stage, boards, numbers, "Before:")
    transport = Transport(HttpSettings.from_env(env))
    found = settings.load(Config(data={}, env=env), env)
    client = BoardsClient(
        transport, found.collection_url, found.project, found.auth, timeout=found.timeout
    )
    items = discover.from_texts([("commit 1a2b3c4d", message)], {})
    run = stage.context.run_url or "https://ci.example.com/demo/runs/1"
    request = service.BoardsRequest(
        items=items,
        state_category="Completed",  # each type's own: a User Story Closed, a Task Done
        comment=comment.render(
            comment.DEFAULT,
            stage.variables({"deployed_by": stage.context.actor}),
            stage.templates_dir,
            env,
        ),
        marker=comment.marker(run, ENVIRONMENT),
        tags=[TAG],
        links=[Link("Hyperlink", run, comment=f"demo run to {ENVIRONMENT}")],
    )
    deps = service.Dependencies(client, stage.platform.print)
    result = service.run(request, deps)
    reporting.report(stage.platform, result, True)
    stage.platform.print("\nThe same run again, as when a job is re-run:")
    again = service.run(request, deps)
    _table(stage, boards, numbers, "After both runs (the rerun added nothing):")
    return max(result.exit_code, again.exit_code, EXIT_OK)
