"""``cibridge gate``: run ``post_deployment_validation`` and say pass, fail or roll back."""

from __future__ import annotations

import argparse
import contextlib
import re
import time
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cibridge.cli.events_hook import add_events_option
from cibridge.cli.release_hook import add_release_option
from cibridge.cli.runtime import Runtime
from cibridge.core import isotime
from cibridge.core.errors import EXIT_OK, CibridgeError
from cibridge.gate import reporting
from cibridge.report import files

if TYPE_CHECKING:
    from cibridge.clients.datadog import DatadogClient
    from cibridge.gate.deploy_window import Window
    from cibridge.gate.results import GateResult
    from cibridge.gate.settings import GateSettings

# A deploy time this far ahead is a mistake (a wrong zone), not something to wait for.
FUTURE_SLACK = 300.0
_RELATIVE = re.compile(r"-\s*(.+)|(.+?)\s+ago")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "gate",
        help="check a deployment with Prometheus queries and health checks",
        description="Run the checks of post_deployment_validation: HTTP/TCP health checks, "
        "then each Prometheus check over its window (the part already behind --deployed-at "
        "in one range query). Exit 0 when the blocking checks pass (alert/warn checks only "
        "report), 1 on fail, inconclusive or error, 2 on a configuration problem. Outputs: "
        "result, action (none|alert|rollback), rollback-pipeline, report; with --dispatch, "
        "rollback-dispatched and rollback-url.",
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=("run", "rules"),
        default="run",
        help="run (default) the gate, or write alert rules from its checks (Prometheus "
        "rules, or Datadog monitors with --format datadog)",
    )
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="placeholder value")
    parser.add_argument(
        "--deployed-at",
        metavar="TIME",
        help="when the deploy finished: ISO 8601, unix seconds, '10m ago' (default: now)",
    )
    parser.add_argument("--environment", metavar="NAME", help="environment ({{ environment }})")
    parser.add_argument("--report", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report here")
    parser.add_argument(
        "--chart",
        metavar="PATH",
        help="write the metric checks' charts here as one SVG image (for notify --attach)",
    )
    parser.add_argument(
        "--silence",
        action="store_true",
        help="silence the service's alerts in Alertmanager while the gate runs",
    )
    parser.add_argument(
        "--push-metrics",
        action="store_true",
        help="push a deploy marker and the verdict to a Pushgateway",
    )
    parser.add_argument(
        "--dora",
        action="store_true",
        help="send the deployment (and a decided rollback's failure) to Datadog DORA metrics "
        "(also dora: true under integration_configs.monitoring.datadog)",
    )
    parser.add_argument(
        "--silence-matcher",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --silence: the alerts to silence (default service=<service_name>)",
    )
    parser.add_argument(
        "--dispatch",
        action="store_true",
        help="start the rollback pipeline when the gate decides a rollback, once per commit "
        "and environment (a commit status cibridge/rollback/<environment> records it)",
    )
    parser.add_argument("--output", metavar="PATH", help="gate rules: the rules file to write")
    parser.add_argument(
        "--format",
        choices=("prometheus", "datadog"),
        default="prometheus",
        help="gate rules: Prometheus alerting rules of the Prometheus checks (default), or "
        "Datadog monitors of the Datadog checks",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="gate rules: install the rules in --rules-dir and reload Prometheus, or (no "
        "--rules-dir, a ruler configured: RULER_URL) through a Mimir/Cortex ruler API",
    )
    parser.add_argument(
        "--rules-dir",
        metavar="DIR",
        help="gate rules --apply: a folder Prometheus's rule_files reads (e.g. rules/*.yml)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the rendered checks; query and connect to nothing",
    )
    add_events_option(parser)
    add_release_option(parser)
    parser.set_defaults(handler=run, outputs_on_failure=reporting.OUTPUTS_ON_FAILURE)


def parse_time(text: str | None, now: float) -> float:
    """Unix seconds from ISO 8601, a number of unix seconds, ``now``, ``10m ago`` or
    ``-10m`` (``--deployed-at=-10m``: argparse reads a separate ``-10m`` as an option)."""
    if not text or text.strip() == "now":
        return now
    moment = _moment(text.strip(), now)
    # 1970 to 9999: nan, inf or a year no calendar has are not times.
    if moment is None or not 0 <= moment < 253_402_300_800:
        raise CibridgeError(
            f"--deployed-at {text.strip()[:40]!r} is not a time",
            hint="write ISO 8601 (2026-01-31T10:00:00Z), unix seconds, or '10m ago'",
        )
    return moment


def _moment(raw: str, now: float) -> float | None:
    from cibridge.core.durations import parse_duration

    relative = _RELATIVE.fullmatch(raw)
    if relative:
        seconds = parse_duration(relative.group(1) or relative.group(2))
        if seconds is not None:
            return now - seconds
    try:
        return float(raw)
    except ValueError:
        pass
    moment = isotime.parse(raw)
    return None if moment is None else moment.timestamp()


def load(runtime: Runtime, *, metrics_only: bool = False) -> tuple[GateSettings, dict[str, Any]]:
    """The rendered checks, and the values their placeholders were rendered from;
    ``metrics_only`` leaves out (and so never renders) the health checks and rollback."""
    from dataclasses import replace

    from cibridge.gate import plan, settings

    configured = settings.load(runtime.config)
    if configured.empty:
        raise CibridgeError(
            "gate: post_deployment_validation has no checks in "
            f"{', '.join(runtime.config.files) or 'the configuration (none found)'}",
            hint="add metrics_validation or health_check_validation (see docs/gate.md), "
            "or pass --config",
        )
    if runtime.args.environment:
        runtime.context.environment = runtime.args.environment
    values = runtime.variables()
    if metrics_only:
        configured = settings.GateSettings(
            metrics=configured.metrics,
            rollback=replace(configured.rollback, rollback_pipeline=""),
        )
    return plan.render(configured, values), values


def run(runtime: Runtime) -> int:
    if runtime.args.what == "rules":
        return rules(runtime)
    args = runtime.args
    rendered, values = load(runtime)
    deployed_at = parse_time(args.deployed_at, time.time())
    if deployed_at > time.time() + FUTURE_SLACK:
        raise CibridgeError(
            f"--deployed-at {args.deployed_at} is in the future",
            hint="pass when the deploy finished (UTC unless the time says otherwise)",
        )
    prepared = None
    if args.dispatch:
        from cibridge.cli.commands import gate_rollback

        prepared = gate_rollback.prepare(runtime, rendered, values)
    if runtime.dry_run or getattr(args, "dry_run", False):
        code = show_plan(runtime, rendered, deployed_at)
        if prepared is not None:
            gate_rollback.dispatch(runtime, prepared, None)
        return code
    # Made before the gate runs, so a missing key stops it at once, not after the window.
    dora_client = _dora_client(runtime)
    window = _window(runtime)
    quiet: AbstractContextManager[None] = contextlib.nullcontext()
    if args.silence:
        from cibridge.gate import deploy_window

        match = deploy_window.matchers(args.silence_matcher, values)
        seconds = deploy_window.planned_seconds(rendered)
        quiet = deploy_window.silenced(window, match, seconds, _comment(runtime))
    with quiet:
        result = execute(runtime, rendered, deployed_at)
    rollback: dict[str, str] = {}
    problem: CibridgeError | None = None
    if prepared is not None:
        # The verdict is published whatever happened to the rollback, raised after it.
        rollback, problem = gate_rollback.settle(runtime, prepared, result)
    files = reporting.Files(args.report or "", args.junit or "", args.chart or "")
    reporting.publish(runtime.platform, result, files, rollback)
    runtime.details["gate_result"] = result  # for the release thread's reply
    service = str(values.get("service_name") or runtime.context.repository or "unknown")
    if args.push_metrics:
        from cibridge.gate import deploy_window

        deploy_window.push(window, result, service, runtime.context.environment)
    if dora_client is not None:
        from cibridge.gate import dora

        version = str(values.get("version") or runtime.context.version or "")
        platform = runtime.platform
        say, warn = platform.print, platform.warning
        dora.send(dora_client, result, runtime.context, service, version, say, warn)
    if problem is not None:
        raise problem
    return result.exit_code


def _dora_client(runtime: Runtime) -> DatadogClient | None:
    """The client DORA events go through, when --dora or ``dora: true`` asks for them."""
    from cibridge.gate import datadog

    found = datadog.settings(runtime.config, runtime.env)
    value = found.value("dora", default=False)
    if not isinstance(value, bool):
        raise CibridgeError(
            f"Datadog dora ({found.where('dora')}) is {value!r}", hint="write true or false"
        )
    if not (runtime.args.dora or value):
        return None
    return datadog.client(runtime.config, runtime.env, runtime.transport)


def _window(runtime: Runtime) -> Window:
    from cibridge.gate.deploy_window import Window

    platform = runtime.platform
    return Window(runtime.config, runtime.env, runtime.transport, platform.warning, platform.print)


def _comment(runtime: Runtime) -> str:
    context = runtime.context
    what = " ".join(part for part in (context.repository, context.sha[:8]) if part)
    where = f" to {context.environment}" if context.environment else ""
    run = f" ({context.run_url})" if context.run_url else ""
    return f"cibridge gate: deploy of {what or 'a service'}{where}{run}"


def execute(runtime: Runtime, rendered: GateSettings, deployed_at: float) -> GateResult:
    from cibridge.gate import service, source

    prometheus = datadog = None
    sources = {check.source for check in rendered.metrics}
    if "prometheus" in sources:
        prometheus, _transport = source.client(runtime.config, runtime.env, runtime.transport)
    if "datadog" in sources:
        from cibridge.gate import datadog as datadog_source

        datadog = datadog_source.client(runtime.config, runtime.env, runtime.transport)
        datadog_source.require_app_key(runtime.config, runtime.env)
    platform = runtime.platform

    def progress(line: str) -> None:
        # One line each, starting with the time: text from Prometheus (label values, error
        # messages) can never start a line, so never a workflow command.
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        platform.print(f"[{stamp}] {' '.join(line.splitlines())}")

    deps = service.Dependencies(prometheus, runtime.transport, progress=progress, datadog=datadog)
    request = service.GateRequest(rendered, deployed_at)
    # Not in a (collapsed) group: the progress lines are what a reader watches live.
    return service.run(request, deps)


def show_plan(runtime: Runtime, rendered: GateSettings, deployed_at: float) -> int:
    from cibridge.core.durations import seconds_text
    from cibridge.gate.settings import shown_url

    print_ = runtime.platform.print
    print_(f"gate (dry run, nothing queried): deployed at {isotime.text(deployed_at)}")
    for check in rendered.metrics:
        window = f"over {seconds_text(check.duration)} every {seconds_text(check.interval)}"
        where = " in Datadog" if check.source == "datadog" else ""
        against = f" against {check.baseline_query}" if check.baseline_query else ""
        print_(
            f"- {check.name}: would query{where} {check.query}{against} {check.threshold()} "
            f"{window if check.duration else 'once'}; on failure: {check.failure_action}"
        )
    for http in rendered.http:
        print_(f"- {http.name}: would request {http.method} {shown_url(http.url)}")
    for tcp in rendered.tcp:
        print_(f"- {tcp.name}: would connect to {tcp.host}:{tcp.port}")
    if _dora_client(runtime) is not None:
        print_("would send the deployment to Datadog DORA metrics (and its failure on rollback)")
    policy = rendered.rollback
    if policy.enabled:
        print_(
            f"rollback after {policy.max_failures} failed observation(s): "
            f"{policy.rollback_pipeline or '(no pipeline named)'}"
        )
    # Nothing was observed, so no verdict: `dry-run` is never mistaken for a pass, and no
    # JSON or JUnit report is written (a report would state results that do not exist).
    runtime.platform.set_outputs({**reporting.OUTPUTS_ON_FAILURE, "result": "dry-run"})
    return EXIT_OK


def rules(runtime: Runtime) -> int:
    """Write the checks as Prometheus alerting rules (stdout, or --output)."""
    from cibridge.gate import rules as alert_rules

    # Alert rules are made of the metric checks alone: a service_host or service_url
    # only the health checks use must not be required to write them.
    rendered, values = load(runtime, metrics_only=True)
    service = str(values.get("service_name") or "")
    if runtime.args.format == "datadog":
        from cibridge.cli.commands import gate_monitors

        return gate_monitors.monitors(runtime, rendered.metrics, service)
    document = alert_rules.rules_document(rendered.metrics, service)
    for note in alert_rules.left_out(rendered.metrics):
        runtime.platform.warning(f"gate rules: {note}")
    header = "Prometheus alerting rules written by `cibridge gate rules` from the checks of\n"
    header += "post_deployment_validation; regenerate them rather than editing by hand."
    text = alert_rules.dump(document, header)
    if runtime.args.apply or runtime.args.rules_dir:
        return install(runtime, document, text, service)
    if runtime.args.output:
        files.write(runtime.args.output, text, "--output")
        count = len(document["groups"][0]["rules"])
        runtime.platform.print(f"gate rules: {count} rule(s) written to {runtime.args.output}")
    else:
        runtime.platform.print(text.rstrip("\n"))
    return EXIT_OK


def install(runtime: Runtime, document: dict[str, Any], text: str, service: str) -> int:
    """``gate rules --apply``: the rules file in --rules-dir, then Prometheus reloaded. When
    Prometheus refuses the reload (it keeps the rules it had), or the step is interrupted,
    the file before is put back; when the reload got no answer, the new file stays and the
    error says so, since Prometheus may have loaded it."""
    from cibridge.clients.prometheus import ReloadRefused
    from cibridge.gate import rules as alert_rules
    from cibridge.gate import source

    args = runtime.args
    if args.output:
        raise CibridgeError(
            "gate rules: --output writes a file, --apply installs one: choose one",
            hint="drop --output (--apply writes the file into --rules-dir)",
        )
    if args.apply and not args.rules_dir:
        from cibridge.gate import ruler

        if ruler.configured(runtime.config, runtime.env):
            from cibridge.cli.commands import gate_ruler

            return gate_ruler.install(runtime, document)
    if not (args.apply and args.rules_dir):
        raise CibridgeError(
            "gate rules: --apply and --rules-dir go together (or --apply and a ruler)",
            hint="pass --apply --rules-dir DIR (the folder Prometheus's rule_files reads), "
            "or set RULER_URL (url under integration_configs.monitoring.ruler)",
        )
    installed = alert_rules.Installed(args.rules_dir, service)
    change = installed.change(document)
    where = installed.path
    if runtime.dry_run or getattr(args, "dry_run", False):
        runtime.platform.print(f"gate rules: would write {where} ({change}) and reload Prometheus")
        return EXIT_OK
    prometheus, _transport = source.client(runtime.config, runtime.env, runtime.transport)
    previous = installed.replace(text)
    try:
        prometheus.reload()
    except ReloadRefused:
        installed.restore(previous)
        raise
    except CibridgeError as error:  # no answer: Prometheus may or may not have the new rules
        raise CibridgeError(
            f"{error.message}; {where} holds the new rules, and whether Prometheus loaded "
            "them is unknown (it gave no answer to the reload)",
            exit_code=error.exit_code,
            hint="check /api/v1/rules, or reload Prometheus yourself",
        ) from None
    except BaseException:  # interrupted, or a bug: most likely before Prometheus had it
        installed.restore(previous)
        raise
    runtime.platform.print(f"gate rules: {where} installed ({change}); Prometheus reloaded")
    return EXIT_OK
