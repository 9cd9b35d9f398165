"""``cibridge boards``: update the Azure Boards work items referenced by what is shipped."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cibridge.boards import comment, reporting
from cibridge.cli.release_hook import add_release_option
from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.boards.patch import Link
    from cibridge.boards.service import BoardsRequest


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from cibridge.boards.states import CATEGORIES

    parser = commands.add_parser(
        "boards",
        help="move, comment on, tag and link the Azure Boards work items this run ships",
        description="Find the AB#123 references in the commits, pull or merge request and "
        "branch being shipped (or --work-item), read them in one batch, and update each one "
        "with one JSON Patch (state, tags, links) and a deployment comment. Each work item "
        "gets its own verdict; exit 1 when an update failed (unless --fail-on-error false).",
    )
    found = parser.add_argument_group("which work items")
    found.add_argument(
        "--work-item",
        action="append",
        default=[],
        metavar="ID",
        help="repeatable (or comma-separated); a named id that is not found fails the step",
    )
    found.add_argument(
        "--no-context",
        action="store_true",
        help="do not read AB# references from the CI context (commits, pull request, branch)",
    )
    found.add_argument(
        "--max-items",
        type=int,
        default=None,
        metavar="N",
        help="refuse the run, changing nothing, when more work items are referenced "
        "(default: max_items under integration_configs.project_management.azure_devops, "
        "else 100)",
    )
    what = parser.add_argument_group("what to do")
    what.add_argument("--state", metavar="NAME", help="move each work item to this state")
    what.add_argument(
        "--state-category",
        metavar="CATEGORY",
        help="move each work item to its own type's state in this category "
        f"({', '.join(CATEGORIES)})",
    )
    what.add_argument(
        "--resolve-fixed",
        action="store_true",
        help="move the items a commit says it fixes (Fixes AB#123) to their Resolved-category "
        "state (never back from Resolved or Completed)",
    )
    what.add_argument(
        "--comment",
        nargs="?",
        const=comment.DEFAULT,
        metavar="TEMPLATE",
        help=f"add a deployment comment (default template {comment.DEFAULT}); once per run "
        "and environment",
    )
    what.add_argument("--environment", metavar="NAME", help="environment named in the comment")
    what.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="add this tag (repeatable)"
    )
    what.add_argument(
        "--no-links",
        action="store_true",
        help="do not link each work item to the run and the commit",
    )
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="template value")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N")
    parser.add_argument("--fail-on-error", choices=["true", "false"], default="true")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="read from Azure Boards, print every write instead of sending it",
    )
    add_release_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


def _tags(values: list[str]) -> list[str]:
    tags = []
    for value in values:
        for tag in value.split(";"):
            if tag.strip():
                tags.append(tag.strip())
    return tags


def build_request(runtime: Runtime) -> BoardsRequest:
    from cibridge.boards import discover, states
    from cibridge.boards.service import BoardsRequest

    args = runtime.args
    context = runtime.context
    if args.environment:
        context.environment = args.environment
    if args.state and args.state_category:
        raise CibridgeError(
            "--state and --state-category both name a target", hint="pass one of them"
        )
    category = ""
    if args.state_category:
        category = states.category_named(args.state_category)
        if not category:
            raise CibridgeError(
                f"--state-category {args.state_category[:40]!r} is not a state category",
                hint=f"one of {', '.join(states.CATEGORIES)}",
            )
    items = discover.named(args.work_item)
    if not args.no_context and not args.work_item:
        discover.from_texts(discover.texts(context), items)
    if args.max_items is not None and args.max_items < 1:
        raise CibridgeError("--max-items must be at least 1")
    configured = runtime.config.value(*discover.MAX_ITEMS_SETTING)
    discover.check_cap(items, args.max_items or configured or 100)
    if args.concurrency < 1:
        raise CibridgeError("--concurrency must be at least 1")
    rendered = render_comment(runtime, args.comment) if args.comment else None
    # The run, not the attempt: a re-run of the same run finds its comment and links.
    run_key = f"{context.repository}|{context.run_id}" if context.run_id else _run_url(runtime)
    return BoardsRequest(
        items=items,
        state=args.state or "",
        state_category=category,
        resolve_fixed=args.resolve_fixed,
        comment=rendered,
        marker=comment.marker(run_key or context.sha, context.environment),
        tags=_tags(args.tag),
        links=[] if args.no_links else links(runtime),
        concurrency=args.concurrency,
    )


def links(runtime: Runtime) -> list[Link]:
    """The run and the commit: ArtifactLinks in Azure Pipelines and for Azure Repos (the
    work item's Development section shows them), Hyperlinks elsewhere."""
    from cibridge.boards.patch import Link
    from cibridge.boards.settings import pipeline_run

    context, run = runtime.context, pipeline_run(runtime.env)
    where = f" to {context.environment}" if context.environment else ""
    found: list[Link] = []
    if run.active:
        found.append(Link("ArtifactLink", f"vstfs:///Build/Build/{run.build_id}", "Build"))
    elif _run_url(runtime).startswith(("https://", "http://")):
        name = context.workflow or context.repository or "CI"
        found.append(
            Link("Hyperlink", _run_url(runtime), comment=f"{name} run {context.run_id}{where}")
        )
    sha = context.sha or run.source_version
    if run.azure_repos and run.project_id and run.repository_id and sha:
        uri = f"vstfs:///Git/Commit/{run.project_id}%2F{run.repository_id}%2F{sha}"
        found.append(Link("ArtifactLink", uri, "Fixed in Commit"))
    elif sha:
        url = next((c.url for c in context.commits if c.sha == sha and c.url), "")
        if not url and context.repository_url and context.platform in ("github", "gitlab"):
            path = "/-/commit/" if context.platform == "gitlab" else "/commit/"
            url = f"{context.repository_url.rstrip('/')}{path}{sha}"
        if url.startswith(("https://", "http://")):
            found.append(Link("Hyperlink", url, comment=f"commit {sha[:8]}"))
    return found


def _run_url(runtime: Runtime) -> str:
    """The run's URL without GitHub's ``/attempts/N``: every attempt is the same run."""
    context = runtime.context
    suffix = f"/attempts/{context.attempt}"
    if context.attempt and context.run_url.endswith(suffix):
        return context.run_url.removesuffix(suffix)
    return context.run_url


def render_comment(runtime: Runtime, template: str) -> str:
    variables = runtime.variables({"deployed_by": runtime.context.actor})
    return comment.render(template, variables, runtime.templates_dir(), runtime.env)


def run(runtime: Runtime) -> int:
    from cibridge.boards import service, settings
    from cibridge.clients.azure_devops import BoardsClient

    dry_run = runtime.dry_run or bool(getattr(runtime.args, "dry_run", False))
    request = build_request(runtime)
    request.dry_run = dry_run
    if not request.items:
        # Nothing to look up: no settings or credentials are needed (a push without AB#).
        runtime.platform.print("boards: no AB# references in what this run ships; nothing to do")
        result = service.BoardsResult([], [], [], dry_run)
    else:
        boards = settings.load(runtime.config, runtime.env)
        printer = _printer(runtime) if dry_run else None
        client = BoardsClient(
            runtime.transport,
            boards.collection_url,
            boards.project,
            boards.auth,
            printer,
            timeout=boards.timeout,
        )
        result = service.run(request, service.Dependencies(client, runtime.platform.print))
    reporting.report(runtime.platform, result, runtime.args.fail_on_error == "true")
    code = result.exit_code
    return EXIT_OK if code == EXIT_FAILURE and runtime.args.fail_on_error == "false" else code


def _printer(runtime: Runtime):  # type: ignore[no-untyped-def]
    from cibridge.core.urls import origin

    def show(method: str, url: str, headers: dict[str, str], body: Any) -> None:
        shown = {"method": method, "url": url, "headers": headers, "body": body}
        title = f"Azure Boards: {method} {url.removeprefix(origin(url))} (dry run, not sent)"
        with runtime.platform.group(title), runtime.platform.untrusted():
            runtime.platform.print(json.dumps(shown, indent=2, ensure_ascii=False))

    return show
