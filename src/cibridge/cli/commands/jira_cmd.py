"""``cibridge jira``: update the Jira issues referenced by what is being shipped."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cibridge.cli.events_hook import add_events_option
from cibridge.cli.release_hook import add_release_option
from cibridge.cli.runtime import Runtime
from cibridge.core import isotime
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.jira import comment, reporting

if TYPE_CHECKING:
    from cibridge.jira.deployments import Deployment
    from cibridge.jira.service import JiraRequest

STATUS_HINTS = {
    "github": "pass `status: ${{ job.status }}` to the jira step (an action cannot see its "
    "caller's job status, actions/runner#1682)",
    "gitlab": "pass --status, or run cibridge jira in after_script, where GitLab sets "
    "CI_JOB_STATUS",
    "azure-pipelines": "pass --status, or run cibridge jira in a script step of the job, "
    "where Azure Pipelines sets AGENT_JOBSTATUS",
    "local": "pass --status success|failure|cancelled|running|rolled_back",
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "jira",
        help="transition, comment on and link the Jira issues this run ships",
        description="Find the issue keys in the commits being shipped (or --issue, --since, "
        "--issues-from-text), check them with Jira, and update each one. Each issue gets its "
        "own verdict; exit 1 when a requested update failed (unless --fail-on-error false).",
    )
    found = parser.add_argument_group("which issues")
    found.add_argument("--issue", action="append", default=[], metavar="KEY", help="repeatable")
    found.add_argument("--since", metavar="REF", help="also the commits in REF..HEAD (a tag)")
    found.add_argument(
        "--issues-from-text", action="append", default=[], metavar="TEXT", help="keys in TEXT"
    )
    found.add_argument(
        "--no-context",
        action="store_true",
        help="do not read keys from the CI context (commits, pull request, branch)",
    )
    found.add_argument(
        "--max-issues",
        type=int,
        default=None,
        metavar="N",
        help="refuse the run, changing nothing, when more keys are found (default: max_issues "
        "under integration_configs.project_management.jira, else 100)",
    )
    found.add_argument("--strict", action="store_true", help="exit 1 when a key is not in Jira")
    what = parser.add_argument_group("what to do")
    what.add_argument("--transition", metavar="STATUS", help="move each issue to STATUS")
    what.add_argument("--resolution", metavar="NAME", help="resolution for the transition")
    what.add_argument(
        "--field", action="append", default=[], metavar="ID=VALUE", help="transition field"
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
    what.add_argument("--link-to", action="append", default=[], metavar="KEY")
    what.add_argument("--link-type", default="Relates", metavar="NAME")
    what.add_argument(
        "--no-remote-link", action="store_true", help="do not link each issue to the run"
    )
    what.add_argument("--fix-version", metavar="NAME", help="add this fix version (created)")
    what.add_argument(
        "--release-version", action="store_true", help="mark --fix-version released today"
    )
    what.add_argument(
        "--deployment",
        action="store_true",
        help="record the deployment in Jira Software (Deployments API; OAuth credentials)",
    )
    what.add_argument(
        "--status",
        metavar="STATUS",
        help="how the deployment ended: success, failure, cancelled, running, rolled_back",
    )
    what.add_argument(
        "--environment-type",
        metavar="TYPE",
        help="production, staging, testing, development or unmapped (default: from the name)",
    )
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="template value")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N")
    parser.add_argument("--fail-on-error", choices=["true", "false"], default="true")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="read from Jira, print every write instead of sending it",
    )
    add_events_option(parser)
    add_release_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


def _fields(pairs: list[str]) -> dict[str, str]:
    fields = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CibridgeError(
                f"--field {pair[:60]!r} is not ID=VALUE", hint="e.g. --field customfield_10010=prod"
            )
        fields[key.strip()] = value
    return fields


def build_request(runtime: Runtime, projects: tuple[str, ...]) -> JiraRequest:

    from cibridge.clients.jira import keys
    from cibridge.jira import discover
    from cibridge.jira.service import JiraRequest

    args = runtime.args
    context = runtime.context
    if args.environment:
        context.environment = args.environment
    discovery = discover.Discovery(
        issues=args.issue,
        texts=args.issues_from_text,
        since=args.since or "",
        from_context=not args.no_context and not args.issue and not args.issues_from_text,
        projects=projects,
    )
    found = discover.named(args.issue)
    for key, sources in keys.discover(
        discover.texts(discovery, context, str(runtime.cwd)), projects or None
    ).items():
        found.setdefault(key, []).extend(sources)
    if args.max_issues is not None and args.max_issues < 1:
        raise CibridgeError("--max-issues must be at least 1")
    configured = runtime.config.value(*discover.MAX_ISSUES_SETTING)
    cap = args.max_issues or configured or discover.MAX_ISSUES
    discover.check_cap(found, cap)
    if args.concurrency < 1:
        raise CibridgeError("--concurrency must be at least 1")
    comment = render_comment(runtime, args.comment) if args.comment else None
    run_url = context.run_url
    return JiraRequest(
        keys=found,
        transition=args.transition or "",
        resolution=args.resolution or "",
        fields=_fields(args.field),
        comment=comment,
        comment_marker={
            "run": run_url or context.run_id or context.sha,
            "environment": context.environment,
        },
        remote_link=None if args.no_remote_link or not run_url else (run_url, _link_title(runtime)),
        link_to=[key.upper() for key in args.link_to],
        link_type=args.link_type,
        fix_version=args.fix_version or "",
        release_version=args.release_version,
        release_date=isotime.today(),
        strict=args.strict,
        concurrency=args.concurrency,
        deployment=_deployment(runtime) if args.deployment else None,
    )


def _deployment(runtime: Runtime) -> Deployment:
    from cibridge.jira import deployments

    context = runtime.context
    status = runtime.args.status or context.status
    if not status:
        # As for notify: a deployment Jira shows as successful must have been seen to succeed.
        raise CibridgeError(
            "Jira deployment: the job's status is not known, so neither is the deployment's",
            hint=STATUS_HINTS.get(context.platform, STATUS_HINTS["local"]),
        )
    kind = runtime.args.environment_type
    types = {context.environment: kind} if kind and context.environment else None
    return deployments.from_context(context, status, types)


def _link_title(runtime: Runtime) -> str:
    context = runtime.context
    where = f" to {context.environment}" if context.environment else ""
    name = context.workflow or context.repository or "CI"
    return f"{name} run {context.run_id}{where}".strip()


def render_comment(runtime: Runtime, template: str) -> str:
    from cibridge.jira import comment

    variables = runtime.variables({"deployed_by": runtime.context.actor})
    return comment.render(template, variables, runtime.templates_dir(), runtime.env)


def run(runtime: Runtime) -> int:
    from cibridge.clients.jira import JiraClient
    from cibridge.jira import service, settings

    dry_run = runtime.dry_run or bool(getattr(runtime.args, "dry_run", False))
    jira = settings.load(runtime.config, runtime.env, runtime.transport, ask=False)
    request = build_request(runtime, jira.projects)
    if request.keys:  # only a run with issues to look up asks the site what it is
        settings.resolve(jira, runtime.transport)
    request.deployment_url = jira.deployments_url
    request.dry_run = dry_run
    printer = _printer(runtime) if dry_run else None
    client = JiraClient(
        runtime.transport, jira.base_url, jira.auth, jira.api_version, printer, timeout=jira.timeout
    )
    if not request.keys:
        runtime.platform.print("jira: no issue keys in what this run ships; nothing to do")
    result = service.run(request, service.Dependencies(client, runtime.platform.print))
    reporting.report(runtime.platform, result, runtime.args.fail_on_error == "true")
    code = result.exit_code
    return EXIT_OK if code == EXIT_FAILURE and runtime.args.fail_on_error == "false" else code


def _printer(runtime: Runtime):  # type: ignore[no-untyped-def]
    from cibridge.core.urls import origin

    def show(method: str, url: str, body: Any) -> None:
        shown = {"method": method, "url": url, "body": body}
        title = f"Jira: {method} {url.removeprefix(origin(url))} (dry run, not sent)"
        with runtime.platform.group(title), runtime.platform.untrusted():
            runtime.platform.print(json.dumps(shown, indent=2, ensure_ascii=False))

    return show
