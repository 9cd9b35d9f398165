"""``gate --dispatch``: what the once-only rollback needs from this run (see
:mod:`cibridge.gate.rollback`): the pipeline's target, the deployed commit the record lives
on, the tokens. Checked before the gate runs its checks, so a missing token is found in
the first second, not after a ten-minute watch that ended in a rollback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.clients.pipelines import Dispatcher
    from cibridge.clients.statuses import CommitStatuses, Place
    from cibridge.clients.targets import Here, Target
    from cibridge.gate.results import GateResult
    from cibridge.gate.rollback import RollbackOutcome
    from cibridge.gate.settings import GateSettings

# The outputs when nothing was dispatched (also when the gate could not run).
NOT_DISPATCHED = {"rollback-dispatched": "false", "rollback-url": ""}


@dataclass(frozen=True)
class Prepared:
    pipeline: str
    target: Target
    place: Place
    environment: str
    values: dict[str, str]
    dispatcher: Dispatcher
    statuses: CommitStatuses
    fallback_url: str


def prepare(runtime: Runtime, rendered: GateSettings, values: dict[str, object]) -> Prepared:
    from cibridge.cli.commands import ci_here
    from cibridge.clients import pipelines
    from cibridge.clients.statuses import CommitStatuses
    from cibridge.clients.targets import resolve
    from cibridge.gate import rollback

    policy = rendered.rollback
    if not (policy.enabled and policy.rollback_pipeline):
        raise CibridgeError(
            "gate --dispatch: no rollback pipeline to start "
            f"({policy.where or 'post_deployment_validation.rollback_policy'})",
            hint="set post_deployment_validation.rollback_policy.rollback_pipeline, "
            "or drop --dispatch",
        )
    here = ci_here.here(runtime)
    target = resolve(policy.rollback_pipeline, runtime.config, here, rollback.DEFAULTS)
    credentials = pipelines.Credentials.from_env(runtime.env)
    place = _place(runtime, here)
    dry_run = _dry_run(runtime)
    token = credentials.github_token if place.kind == "github" else credentials.gitlab_token
    if not token and not dry_run:
        raise CibridgeError(
            f"gate --dispatch: no token for the rollback record on {place.describe()}",
            hint="pass github-token: ${{ github.token }} with permissions: statuses: write and "
            "actions: write"
            if place.kind == "github"
            else "set GITLAB_TOKEN, an API token with the api scope, as a masked CI/CD variable",
        )
    branches = {here.repository: here.default_branch} if here.default_branch else {}
    environment = runtime.context.environment
    filled = {k: str(v) for k, v in values.items() if isinstance(v, (str, int, float))}
    filled.update(environment=environment, sha=runtime.context.sha)
    return Prepared(
        policy.rollback_pipeline,
        target,
        place,
        environment,
        filled,
        pipelines.Dispatcher(runtime.transport, credentials, branches),
        CommitStatuses(runtime.transport, token),
        _fallback_url(runtime, target),
    )


def dispatch(runtime: Runtime, prepared: Prepared, result: GateResult | None) -> RollbackOutcome:
    """The rollback started once when the gate decided it (``result`` None: a dry run)."""
    from cibridge.gate import rollback

    if result is not None and result.action != "rollback":
        return rollback.RollbackOutcome(False, "", "no rollback decided")
    request = rollback.RollbackRequest(
        prepared.pipeline,
        prepared.target,
        prepared.place,
        prepared.environment,
        prepared.values,
        dry_run=result is None,
        fallback_url=prepared.fallback_url,
    )
    return rollback.run(request, prepared.statuses, prepared.dispatcher, runtime.platform.print)


def settle(
    runtime: Runtime, prepared: Prepared, result: GateResult
) -> tuple[dict[str, str], CibridgeError | None]:
    """The rollback outputs, and the problem to raise once the verdict is out: the record
    unread, the dispatch refused, or a dispatch whose record could not be written."""
    try:
        outcome = dispatch(runtime, prepared, result)
    except CibridgeError as error:
        return dict(NOT_DISPATCHED), error
    problem = None
    if outcome.exit_code:
        problem = CibridgeError(outcome.detail, exit_code=outcome.exit_code)
    return outputs(outcome), problem


def outputs(outcome: RollbackOutcome | None) -> dict[str, str]:
    if outcome is None:
        return dict(NOT_DISPATCHED)
    return {
        "rollback-dispatched": "true" if outcome.dispatched else "false",
        "rollback-url": outcome.url,
    }


def _dry_run(runtime: Runtime) -> bool:
    return bool(runtime.dry_run or getattr(runtime.args, "dry_run", False))


def _place(runtime: Runtime, here: Here) -> Place:
    from cibridge.clients.statuses import Place
    from cibridge.clients.targets import GITHUB_API

    context = runtime.context
    if not context.sha:
        raise CibridgeError(
            "gate --dispatch: no commit to keep the rollback record on (no sha in the CI context)",
            hint="run it in GitHub Actions or GitLab CI, or set GITHUB_SHA / CI_COMMIT_SHA",
        )
    if here.platform == "github" and here.repository:
        api = (here.github_api or GITHUB_API).rstrip("/")
        return Place("github", api, here.repository, context.sha)
    if here.platform == "gitlab" and here.gitlab_project and here.gitlab_api:
        ref = runtime.env.get("CI_COMMIT_REF_NAME", "")
        return Place("gitlab", here.gitlab_api.rstrip("/"), here.gitlab_project, context.sha, ref)
    raise CibridgeError(
        "gate --dispatch keeps its record on the deployed commit of this repository: run it "
        "in GitHub Actions (GITHUB_REPOSITORY) or GitLab CI (CI_PROJECT_ID, CI_API_V4_URL)",
        hint="outside CI, start the rollback pipeline yourself (gate outputs rollback-pipeline)",
    )


def _fallback_url(runtime: Runtime, target: Target) -> str:
    """Where a GitHub dispatch's run shows (its 204 names no run): the workflow's runs."""
    if target.kind != "github":
        return ""
    server = runtime.env.get("GITHUB_SERVER_URL", "") or "https://github.com"
    return f"{server.rstrip('/')}/{target.place}/actions/workflows/{target.workflow}"
