"""``cibridge config check|show|schema``."""

from __future__ import annotations

import argparse
import json

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_OK, EXIT_USAGE, CibridgeError

CHECK_HELP = """\
Validates the files against the JSON Schema (`cibridge config schema`) and resolves every
value with this environment.

Errors (exit 2), since they can never work:
  - invalid YAML, unknown keys, wrong types, duplicate keys, alias bombs
  - an enc: value that no key in CIBRIDGE_KEY decrypts, or an invalid key
  - a *_ref name that is a path or resolves outside CIBRIDGE_SECRETS_DIR, or an unreadable
    secret file
  - a gate setting `cibridge gate` would refuse (post_deployment_validation): a value of
    the wrong kind (max_failures: three, duration: 5 minutes, expected_status: ok,
    timeout: fast), a check without a threshold, a Prometheus url without its scheme
  - a chat, Jira or Azure DevOps setting `cibridge notify` / `jira` / `boards` would
    refuse: a webhook_url, api_url, Jira or Azure DevOps base_url without its scheme, an
    azure_devops auth type that is not pat or bearer, a timeout that is no duration
  - a trigger rule `cibridge trigger` would refuse (deployment_triggers): a version_pattern
    or pipeline_mapping key that is no regular expression, a released_within that is no
    duration

Warnings (exit 0), since the CI that runs cibridge may have what this machine lacks:
  - a ${VAR} that is not set
  - a *_ref secret that is not set (in the environment or CIBRIDGE_SECRETS_DIR)
  - enc: values while CIBRIDGE_KEY is not set
Each of these is an error when a command uses the value. Inside a block with
`enabled: false` nothing reads the values, so their absence is not reported."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("config", help="validate or show the configuration")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser(
        "check",
        help="validate the configuration files and resolve every value",
        description=CHECK_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).set_defaults(handler=check)
    actions.add_parser(
        "show", help="print the merged configuration, secrets redacted"
    ).set_defaults(handler=show)
    actions.add_parser("schema", help="print the JSON Schema for editors").set_defaults(
        handler=schema
    )


def check(runtime: Runtime) -> int:
    config = runtime.config
    if not config.files:
        runtime.platform.print("no configuration file found; defaults and environment apply")
        return EXIT_OK
    findings = config.check()
    reported = [error.message for error in findings.errors]
    findings.errors += [
        problem
        for problem in [
            *_gate_problems(runtime),
            *_notify_problems(runtime),
            *_jira_problems(runtime),
            *_boards_problems(runtime),
        ]
        # An unset value is config.check's warning, not an error.
        if not _unset(problem) and problem.message not in reported
    ]
    findings.errors += _trigger_problems(runtime)
    for warning in findings.warnings:
        runtime.platform.warning(warning)
    for error in findings.errors:
        runtime.platform.error(str(error))
    if findings.errors:
        return EXIT_USAGE
    sections = ", ".join(sorted(config.data)) or "nothing"
    noted = f"; {len(findings.warnings)} warning(s)" if findings.warnings else ""
    runtime.platform.print(f"ok: {', '.join(config.files)} ({sections}){noted}")
    return EXIT_OK


def _unset(problem: CibridgeError) -> bool:
    from cibridge.config.encryption import MissingKey
    from cibridge.config.secrets import NotSet

    return isinstance(problem, (NotSet, MissingKey))


def _gate_problems(runtime: Runtime) -> list[CibridgeError]:
    """What the gate's own loading refuses (gate.validate, the code ``cibridge gate`` runs)."""
    from cibridge.gate.validate import validate

    return list(validate(runtime.config, runtime.env))


def _notify_problems(runtime: Runtime) -> list[CibridgeError]:
    """What a notify would refuse in the chat providers' sections, through its own getters."""
    from cibridge.notify.checks import problems

    return problems(runtime.config, runtime.env)


def _jira_problems(runtime: Runtime) -> list[CibridgeError]:
    """What ``cibridge jira`` refuses when it loads its settings (a base_url without its
    scheme, an api_version that is not 2 or 3, a timeout that is no duration), without
    contacting the site."""
    from cibridge.http.integration import IntegrationSettings
    from cibridge.jira.settings import load

    settings = IntegrationSettings("jira", "project_management", runtime.config, runtime.env)
    try:
        if not settings.configured() or not settings.enabled():
            return []
        site = settings.value("base_url", "JIRA_BASE_URL") or settings.value("url")
        if not (site or settings.value("cloud_id", "JIRA_CLOUD_ID")):
            return []  # the CI may set JIRA_BASE_URL where this machine does not
        load(runtime.config, runtime.env, None, ask=False)
    except CibridgeError as error:  # an unset ${VAR} among them stays config.check's warning
        return [error]
    return []


def _boards_problems(runtime: Runtime) -> list[CibridgeError]:
    """What ``cibridge boards`` refuses when it loads its settings (a base_url without its
    scheme, an auth type that is not pat or bearer, a timeout that is no duration), its
    secret checked like Jira's: a token_ref that is not set stays config.check's warning."""
    from cibridge.boards.settings import load
    from cibridge.http.integration import IntegrationSettings

    settings = IntegrationSettings(
        "azure_devops", "project_management", runtime.config, runtime.env
    )
    try:
        if not settings.configured() or not settings.enabled():
            return []
        load(runtime.config, runtime.env, with_auth=False)
        if settings.value("type") is not None:
            load(runtime.config, runtime.env)
    except CibridgeError as error:
        if "no organization" in error.message or "no project" in error.message:
            return []  # the CI may set AZURE_DEVOPS_ORG / _PROJECT where this machine does not
        if "no credentials" in error.message:
            return []  # the secret's absence is config.check's warning already
        return [error]
    return []


def show(runtime: Runtime) -> int:
    import yaml

    shown = runtime.config.show()
    runtime.platform.print(
        yaml.safe_dump(
            shown, sort_keys=False, allow_unicode=True, default_flow_style=False
        ).rstrip()
        if shown
        else "{}"
    )
    return EXIT_OK


def schema(runtime: Runtime) -> int:
    from cibridge.config.schema import schema as load_schema

    runtime.platform.print(json.dumps(load_schema(), indent=1))
    return EXIT_OK


def _trigger_problems(runtime: Runtime) -> list[CibridgeError]:
    """What ``cibridge trigger`` refuses when it reads its rules (a version_pattern or a
    pipeline_mapping key that is no regular expression, a released_within that is no
    duration): the same loading, run here."""
    if runtime.config.raw("deployment_triggers") is None:
        return []
    from cibridge.trigger import rules

    try:
        rules.load(runtime.config)
    except CibridgeError as error:
        return [error]
    return []
