"""``cibridge summary``: one message for the whole run, every job of it from the CI's API.

The jobs are read by :mod:`cibridge.summary`, the message is sent by notify's providers
(``<provider>/summary.yml.j2``, overridable like every template): this entry point hands the
one's result to the other.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cibridge.cli.commands.notify_cmd import templates_by_provider
from cibridge.cli.events_hook import add_events_option
from cibridge.cli.runtime import Runtime
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.render.labels import LOCALES
from cibridge.summary import reporting

if TYPE_CHECKING:
    from cibridge.clients.run_jobs import Run
    from cibridge.summary.service import SummaryRequest

MAX_GROUPS = 25  # job lines in a message (a Slack section holds 3000 characters); the rest counted
MAX_FAILED = 10


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "summary",
        help="one message for the whole run: every job of it from the CI's API",
        description="Read every job of this GitHub workflow run (attempt) or GitLab pipeline "
        "from the CI's API and post one message: the overall result, each job (matrix jobs "
        "under their name) with its status and duration, the failed jobs' step or stage with a "
        "link, and who to look at. Run it in a last job (GitHub: needs every job, if: "
        "always(), permissions: actions: read; GitLab: a last stage, when: always, "
        "GITLAB_TOKEN with read_api). Exit 1 if a provider rejects the message or the API "
        "refuses the read; the run's own result is an output, not the exit code.",
    )
    parser.add_argument("--to", action="append", choices=PROVIDERS, help="provider (repeatable)")
    parser.add_argument(
        "--template",
        action="append",
        metavar="[PROVIDER=]NAME_OR_PATH",
        help="template to use instead of <provider>/summary.yml.j2 (repeatable, per provider)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        help="Slack: a key of `channels` in the config, or a channel (repeatable)",
    )
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="extra template value")
    parser.add_argument("--locale", choices=tuple(LOCALES), help="language of built-in templates")
    parser.add_argument(
        "--mention", choices=["failure", "always", "never"], help="when to @mention people"
    )
    parser.add_argument(
        "--job-name",
        action="append",
        default=[],
        metavar="NAME",
        help="GitHub: the summary job's own name when its `name:` differs from its id "
        "(GITHUB_JOB); it is left out of the summary (repeatable)",
    )
    parser.add_argument(
        "--fail-on-error",
        choices=["true", "false"],
        help="exit 1 when a provider rejects the message (default true)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the API reads and the message (secrets redacted), send nothing",
    )
    add_events_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


def this_run(runtime: Runtime) -> Run:
    """The run cibridge is in, from the platform's own variables."""
    from cibridge.clients.run_jobs import Run
    from cibridge.config import variables

    env = runtime.env
    gitlab = runtime.context.platform == "gitlab" or (
        runtime.context.platform != "github" and bool(env.get("CI_PIPELINE_ID"))
    )
    if gitlab:
        return Run(
            "gitlab",
            env.get(variables.name("gitlab", "api_url"), "").rstrip("/"),
            env.get("CI_PROJECT_ID", "") or env.get("CI_PROJECT_PATH", ""),
            env.get("CI_PIPELINE_ID", ""),
        )
    return Run(
        "github",
        (env.get(variables.name("github", "api_url")) or "https://api.github.com").rstrip("/"),
        env.get("GITHUB_REPOSITORY", ""),
        env.get("GITHUB_RUN_ID", ""),
        env.get("GITHUB_RUN_ATTEMPT", "") or "1",
    )


def request_from_args(runtime: Runtime) -> SummaryRequest:
    from cibridge.config import variables
    from cibridge.summary.service import SummaryRequest

    place = this_run(runtime)
    env = runtime.env
    if place.kind == "github":
        token = runtime.secret_from_env(variables.name("github", "token")) or (
            runtime.secret_from_env(variables.name("github", "gh_token")) or ""
        )
        own = [runtime.context.job, *runtime.args.job_name]
        own_id = ""
    else:
        token = runtime.secret_from_env(variables.name("gitlab", "token")) or ""
        runtime.secret_from_env(variables.name("gitlab", "job_token"))  # masked, never used
        own = [runtime.context.job, *runtime.args.job_name]  # CI_JOB_NAME, if the id is not listed
        own_id = env.get("CI_JOB_ID", "")
    return SummaryRequest(
        run=place,
        token=token,
        own_names=[name for name in own if name],
        own_id=own_id,
        dry_run=runtime.dry_run or bool(getattr(runtime.args, "dry_run", False)),
    )


def run(runtime: Runtime) -> int:
    from cibridge.notify import service as notify
    from cibridge.render import labels
    from cibridge.summary import groups
    from cibridge.summary import service as summary

    request = request_from_args(runtime)
    args = runtime.args

    def show(method: str, url: str) -> None:
        runtime.platform.print(
            f"{method} {url}" + ("  (read; a dry run reads)" if request.dry_run else "")
        )

    deps = summary.Dependencies(
        transport=runtime.transport, printer=show if request.dry_run else None
    )
    result = summary.run(request, deps)
    if result.note:
        runtime.platform.warning(result.note)
    locale = args.locale or runtime.config.value("notify", "locale") or "en"
    model = groups.model(result.summary, labels.for_locale(str(locale)), MAX_GROUPS, MAX_FAILED)
    data: dict[str, Any] = {"run_summary": model}
    notify_request = notify.NotifyRequest(
        targets=list(args.to or []),
        event="summary",
        status=result.summary.result,
        templates=templates_by_provider(args.template),
        channels=list(args.channel or []),
        values=runtime.sets(),
        locale=args.locale,
        mention=args.mention,
        fail_on_error=None if args.fail_on_error is None else args.fail_on_error == "true",
        dry_run=request.dry_run,
        data=data,
    )
    notify_deps = notify.Dependencies(
        config=runtime.config,
        context=runtime.context,
        env=runtime.env,
        templates_dir=runtime.templates_dir(),
        transport=None if request.dry_run else runtime.transport,
    )
    sent = notify.run(notify_request, notify_deps)
    delivered = [
        reporting.Delivered(
            t.label, t.ok, t.detail, t.exit_code, t.message_id, t.channel_id, t.preview, t.warning
        )
        for t in sent.targets
    ]
    reporting.report(runtime.platform, result, delivered, fail_on_error=sent.fail_on_error)
    return sent.exit_code
