"""The demo's Jira chapter: a loopback Jira with a few issues, updated as a deploy would, and
shown before and after."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import EXIT_OK

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns
    from cibridge.demo.standins.jira import Jira

# Two issues to move, one already done (skipped). PROJ-1 is the trigger chapter's.
KEYS = ("PROJ-3", "OPS-1", "PROJ-5")
ENVIRONMENT = "production"


def _table(stage: Stage, jira: Jira, title: str) -> None:
    from cibridge.report.outputs import table

    rows = []
    for key in KEYS:
        issue = jira.issue(key)
        rows.append(
            (
                key,
                issue.summary,
                issue.status,
                issue.resolution or "",
                ", ".join(issue.fix_versions) or "",
                str(len(issue.comments)),
                str(len(issue.remote_links)),
            )
        )
    columns = ("issue", "summary", "status", "resolution", "fix versions", "comments", "links")
    stage.platform.print(f"{title}\n{table(columns, rows, rendered=False)}")


def chapter(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    """Transition, comment on, link and version the demo issues in the loopback Jira."""
    from cibridge.clients.jira import JiraClient
    from cibridge.config.loader import Config
    from cibridge.demo.standins import jira_of
    from cibridge.http.transport import HttpSettings, Transport
    from cibridge.jira import comment, reporting, service, settings
    from cibridge.jira.service import JiraRequest

    jira = jira_of(stand_ins)
    stage.context.environment = ENVIRONMENT
    _table(stage, jira, "Before:")
    transport = Transport(HttpSettings.from_env(env))
    found = settings.load(Config(data={}, env=env), env, transport)
    client = JiraClient(
        transport, found.base_url, found.auth, found.api_version, timeout=found.timeout
    )
    run = stage.context.run_url or "https://ci.example.com/demo/runs/1"
    request = JiraRequest(
        keys={key: ["demo"] for key in KEYS},
        transition="Done",
        resolution="Done",
        comment=comment.render(
            comment.DEFAULT,
            stage.variables({"deployed_by": stage.context.actor}),
            stage.templates_dir,
            env,
        ),
        comment_marker={"run": run, "environment": ENVIRONMENT},
        remote_link=(run, f"demo run to {ENVIRONMENT}"),
        fix_version="v1.2.3",
    )
    deps = service.Dependencies(client, stage.platform.print)
    result = service.run(request, deps)
    reporting.report(stage.platform, result, fail_on_error=True)
    stage.platform.print("\nThe same run again, as when a job is re-run:")
    again = service.run(request, deps)
    _table(stage, jira, "After both runs (the rerun added nothing):")
    return max(result.exit_code, again.exit_code, EXIT_OK)
