"""``cibridge trigger``: start the pipelines Jira's status, labels and versions ask for, once."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cibridge.cli.commands import ci_here
from cibridge.cli.events_hook import add_events_option
from cibridge.cli.release_hook import add_release_option
from cibridge.cli.runtime import Runtime
from cibridge.core import isotime, redact
from cibridge.core.errors import EXIT_OK, CibridgeError
from cibridge.trigger import reporting

MIN_TRIGGER_KEY = 32

if TYPE_CHECKING:
    from cibridge.clients.targets import Here
    from cibridge.trigger.service import TriggerRequest, TriggerResult

NO_SOURCE_HINT = (
    "pass --issue KEY or --event-file FILE (a Jira webhook or an Azure DevOps Service Hook "
    "body), run it from a repository_dispatch (GitHub) or a trigger with JIRA_ISSUE_KEY / "
    "TRIGGER_PAYLOAD (GitLab), or poll with --poll"
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "trigger",
        help="start the pipelines deployment_triggers ask for, once per Jira change",
        description="Read a Jira issue (from --issue, a webhook body, the CI event, or a "
        "--poll), apply deployment_triggers.jira, and with --dispatch start each matching "
        "pipeline once: the issue remembers what was started (issue property "
        "cibridge.trigger). Exit 0 with 'nothing to deploy' when no rule matches.",
    )
    source = parser.add_argument_group("which issue")
    source.add_argument("--issue", action="append", default=[], metavar="KEY", help="repeatable")
    source.add_argument("--event-file", metavar="FILE", help="a Jira webhook body")
    source.add_argument(
        "--signature",
        metavar="sha256=HEX",
        default="",
        help="the X-Hub-Signature Jira sent with --event-file",
    )
    source.add_argument(
        "--secret-env",
        metavar="NAME",
        default="",
        help="variable holding the webhook secret; the body must then carry a valid signature",
    )
    source.add_argument(
        "--authorization",
        metavar="HEADER",
        default="",
        help="the Authorization header an Azure DevOps Service Hook sent with --event-file "
        "(its basic authentication), checked against --secret-env (user:password)",
    )
    source.add_argument(
        "--poll", action="store_true", help="find candidates with one JQL search per rule"
    )
    source.add_argument(
        "--from",
        dest="from_queue",
        choices=("nats", "rabbitmq", "kafka"),
        help="read webhook deliveries a receiver put on this queue "
        "(integration_configs.messaging); each is acknowledged once its dispatch is recorded",
    )
    source.add_argument(
        "--max-messages", type=int, default=100, metavar="N", help="with --from: at most N (100)"
    )
    source.add_argument(
        "--max-seconds", type=float, default=30.0, metavar="S", help="with --from: at most S (30)"
    )
    source.add_argument(
        "--poll-filter", metavar="JQL", default="", help="ANDed to each poll query, e.g. a project"
    )
    parser.add_argument(
        "--dispatch", action="store_true", help="start the pipelines (default: only report)"
    )
    parser.add_argument(
        "--environment", metavar="NAME", default="", help="environment passed to each pipeline"
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="issues handled at once (8)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="read Jira, print every dispatch and record instead of sending it",
    )
    add_events_option(parser)
    add_release_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


def _request(
    runtime: Runtime, here: Here, trigger_key: str, dry_run: bool, **particular: Any
) -> TriggerRequest:
    """The request every trigger path makes, with what its own path adds. The events
    chain is this run's, for the {{ events_chain }} placeholder: a pipeline started with it
    as CIBRIDGE_EVENTS_CHAIN publishes into the same chain."""
    from cibridge.events.from_command import run_of
    from cibridge.trigger import service

    return service.TriggerRequest(
        dispatch=runtime.args.dispatch,
        dry_run=dry_run,
        run=_run_name(runtime),
        environment=runtime.args.environment or runtime.context.environment,
        now=isotime.now(),
        here=here,
        trigger_key=trigger_key,
        events_chain=run_of(runtime.context, runtime.env).chain,
        **particular,
    )


def _run_name(runtime: Runtime) -> str:
    context = runtime.context
    if context.run_url:
        return context.run_url
    if context.run_id:
        return f"{context.platform} run {context.run_id}"
    return f"a local run by {runtime.env.get('USER') or 'someone'}"


def run(runtime: Runtime) -> int:
    result = _from_queue(runtime) if runtime.args.from_queue else _run(runtime)
    reporting.report(runtime.platform, result)
    return result.exit_code


def _from_queue(runtime: Runtime) -> TriggerResult:
    """Each delivery on the queue as if it were --event-file: acknowledged once its
    dispatch is recorded (or nothing was to be started), given back when it failed; a
    message that is no delivery at all is acknowledged with a warning, as it never will be."""
    from cibridge.cli.commands import trigger_queue
    from cibridge.trigger import source
    from cibridge.trigger.service import TriggerResult

    args = runtime.args
    if args.issue or args.event_file or args.poll or args.signature or args.authorization:
        raise CibridgeError(
            "--from reads its deliveries from the queue; it cannot be combined with --issue, "
            "--event-file, --poll, --signature or --authorization",
            hint="the receiver that puts deliveries on the queue checks their signatures",
        )
    if args.max_messages < 1 or args.max_seconds <= 0:
        raise CibridgeError("--max-messages and --max-seconds must be positive")
    dry_run = runtime.dry_run or bool(getattr(args, "dry_run", False))
    merged = TriggerResult()
    for message in trigger_queue.messages(
        runtime, args.from_queue, args.max_messages, args.max_seconds
    ):
        problem = ""
        if len(message.body) > source.MAX_BODY:
            problem = f"larger than {source.MAX_BODY // 1024 // 1024} MiB"
        else:
            try:
                if source.find([], message.body, message.where, runtime.env).empty:
                    problem = "it names no issue, version or work item"
            except CibridgeError as error:
                problem = error.message
        if problem:
            runtime.platform.warning(f"trigger: {message.where} is no delivery, dropped: {problem}")
            if not dry_run:
                message.ack()
            continue
        try:
            result = _run(runtime, message.body, message.where)
        except CibridgeError:
            message.give_back()
            raise
        if result.exit_code == EXIT_OK and not dry_run:
            message.ack()
        else:
            message.give_back()
        merged = _merged(merged, result)
    if not merged.outcomes and not merged.errors:
        runtime.platform.print(f"trigger: no delivery waiting on {args.from_queue}")
    return merged


def _run(runtime: Runtime, queued: bytes | None = None, where: str = "") -> TriggerResult:
    from cibridge.clients import pipelines as dispatch
    from cibridge.clients.jira import JiraClient
    from cibridge.jira import settings
    from cibridge.trigger import rules, service, signature, source

    args = runtime.args
    body = (
        queued
        if queued is not None
        else source.read_body(args.event_file)
        if args.event_file
        else None
    )
    # Before anything else: a refused body must not reach the config, Jira or a CI API.
    verified = signature.check(
        body, args.signature, args.secret_env, runtime.env, args.authorization
    )
    if args.poll and (args.issue or args.event_file):
        raise CibridgeError(
            "--poll finds its own issues; it cannot be combined with --issue or --event-file"
        )
    found = (
        source.Source()
        if args.poll
        else source.find(args.issue, body, where or args.event_file or "", runtime.env)
    )
    if not args.poll and found.empty:
        raise CibridgeError("trigger: no Jira issue to look at", hint=NO_SOURCE_HINT)
    if args.concurrency < 1:
        raise CibridgeError("--concurrency must be at least 1")
    trigger_key = runtime.env.get("CIBRIDGE_TRIGGER_KEY", "").strip()
    redact.register(trigger_key)
    how = (
        "create one with `openssl rand -hex 32`, store it as a CI secret and pass it as the "
        "trigger-key input (GitHub) or as a masked CI/CD variable CIBRIDGE_TRIGGER_KEY (GitLab)"
    )
    if args.dispatch and not trigger_key:
        raise CibridgeError(
            "trigger --dispatch: CIBRIDGE_TRIGGER_KEY is not set (it signs the dispatch "
            "record, so an issue editor cannot forge it)",
            hint=how,
        )
    if trigger_key and len(trigger_key) < MIN_TRIGGER_KEY:
        # The signed entries are readable by anyone who can browse the issue: a short key
        # falls to a dictionary, and then every entry can be forged.
        raise CibridgeError(
            f"CIBRIDGE_TRIGGER_KEY has {len(trigger_key)} characters; it needs at least "
            f"{MIN_TRIGGER_KEY} characters (128 bits as hex)",
            hint=how,
        )
    if found.work_item is not None:
        unverified = (bool(args.event_file) or queued is not None) and not verified
        return _boards(runtime, found, trigger_key, unverified)
    configured = rules.load(runtime.config)
    polled = _boards_poll(runtime, trigger_key) if args.poll else None
    if polled is not None and not configured:
        return polled
    if not configured:
        raise CibridgeError(
            "trigger: the config has no deployment_triggers.jira rules",
            hint="add issue_status_trigger, label_trigger or version_trigger under "
            "deployment_triggers.jira (see the seed's deployment-triggers.yml)",
        )
    dry_run = runtime.dry_run or bool(getattr(args, "dry_run", False))
    printer = _printer(runtime) if dry_run else None
    jira = settings.load(runtime.config, runtime.env, runtime.transport)
    client = JiraClient(
        runtime.transport, jira.base_url, jira.auth, jira.api_version, printer, timeout=jira.timeout
    )
    here = ci_here.here(runtime)
    branches = {here.repository: here.default_branch} if here.default_branch else {}
    dispatcher = dispatch.Dispatcher(
        runtime.transport, dispatch.Credentials.from_env(runtime.env), branches, printer
    )
    if found.origin:
        runtime.platform.print(
            f"trigger: {', '.join(found.keys) or found.version} from {found.origin}"
        )
    request = _request(
        runtime,
        here,
        trigger_key,
        dry_run,
        source=found,
        poll=args.poll,
        poll_filter=args.poll_filter,
        concurrency=args.concurrency,
    )
    deps = service.Dependencies(
        client, dispatcher, runtime.config, configured, runtime.platform.print
    )
    result = service.run(request, deps)
    return result if polled is None else _merged(polled, result)


def _merged(first: TriggerResult, second: TriggerResult) -> TriggerResult:
    """A poll of both trackers, reported as one run."""
    second.outcomes = first.outcomes + second.outcomes
    second.reasons = {**first.reasons, **second.reasons}
    second.errors = first.errors + second.errors
    second.issues += first.issues
    return second


def _boards_poll(runtime: Runtime, trigger_key: str) -> TriggerResult | None:
    """--poll of deployment_triggers.azure_devops with WIQL; None when there are none."""
    from cibridge.clients import pipelines as dispatch
    from cibridge.trigger import boards, boards_poll, boards_service, service

    configured = boards.load(runtime.config)
    if not configured:
        return None
    args = runtime.args
    dry_run = runtime.dry_run or bool(getattr(args, "dry_run", False))
    where = boards_poll.place(runtime.config, runtime.env)
    result = service.TriggerResult()
    try:
        polled = boards_poll.poll(runtime.transport, where, configured)
    except CibridgeError as error:
        result.errors.append(service.IssueError("poll azure_devops", str(error), error.exit_code))
        return result
    runtime.platform.print(
        f"poll (Azure Boards): {len(polled.changes)} candidate change(s) from "
        f"{len(polled.queries)} WIQL {'query' if len(polled.queries) == 1 else 'queries'}, "
        f"{polled.requests} request(s)"
    )
    for note in polled.notes:
        runtime.platform.print(f"  {note}")
    here = ci_here.here(runtime)
    branches = {here.repository: here.default_branch} if here.default_branch else {}
    printer = _printer(runtime) if dry_run else None
    dispatcher = dispatch.Dispatcher(
        runtime.transport, dispatch.Credentials.from_env(runtime.env), branches, printer
    )
    request = _request(runtime, here, trigger_key, dry_run, poll=True)
    for change in polled.changes:
        part = boards_service.run(change, request, configured, runtime.config, dispatcher)
        result = _merged(result, part)
    return result


def _boards(runtime: Runtime, found: Any, trigger_key: str, unverified_file: bool) -> TriggerResult:
    """A Service Hook delivery: the Boards rules, no Jira."""
    from cibridge.clients import pipelines as dispatch
    from cibridge.trigger import boards, boards_poll, boards_service

    args = runtime.args
    dry_run = runtime.dry_run or bool(getattr(args, "dry_run", False))
    configured = boards.load(runtime.config)
    if not configured:
        raise CibridgeError(
            "trigger: the config has no deployment_triggers.azure_devops rules",
            hint="add work_item_state_trigger or tag_trigger under "
            "deployment_triggers.azure_devops (see docs/trigger.md)",
        )
    item = found.work_item
    if boards_poll.configured(runtime.config, runtime.env):
        # Azure DevOps can be asked: the delivery only says which update to look at, and
        # the rules see the server's record of it and the item as it is now.
        where = boards_poll.place(runtime.config, runtime.env)
        item = boards_poll.confirm(runtime.transport, where, item)
    elif args.dispatch and unverified_file and not dry_run:
        # Nothing of the delivery can be read again: its channel vouches for it (a GitHub
        # token for repository_dispatch, GitLab's trigger token), and a file only with a
        # signature or the Service Hook's basic authentication.
        raise CibridgeError(
            "trigger --dispatch: the Service Hook delivery in --event-file is not authenticated",
            hint="pass --authorization with the header the delivery carried and --secret-env "
            "NAME holding the hook's user:password, or --signature from a relay that signs, "
            "or set the Azure DevOps settings (AZURE_DEVOPS_ORG, AZURE_DEVOPS_PROJECT, "
            "AZURE_DEVOPS_EXT_PAT) so that the update is read from Azure DevOps",
        )
    printer = _printer(runtime) if dry_run else None
    here = ci_here.here(runtime)
    branches = {here.repository: here.default_branch} if here.default_branch else {}
    dispatcher = dispatch.Dispatcher(
        runtime.transport, dispatch.Credentials.from_env(runtime.env), branches, printer
    )
    runtime.platform.print(
        f"trigger: {item.key} rev {item.rev} ({item.type or '?'} in "
        f"{item.area_path or '?'}) from {item.origin}"
    )
    request = _request(runtime, here, trigger_key, dry_run, source=found)
    return boards_service.run(item, request, configured, runtime.config, dispatcher)


def _printer(runtime: Runtime):  # type: ignore[no-untyped-def]
    from cibridge.core.urls import origin

    def show(method: str, url: str, body: Any) -> None:
        title = f"{method} {url.removeprefix(origin(url))} (dry run, not sent)"
        with runtime.platform.group(title), runtime.platform.untrusted():
            runtime.platform.print(
                json.dumps(
                    {"method": method, "url": url, "body": body}, indent=2, ensure_ascii=False
                )
            )

    return show
