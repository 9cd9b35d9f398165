"""``gate rules --format datadog``: the Datadog checks as monitors, printed or written, or
with ``--apply`` installed through the Datadog API (see :mod:`cibridge.gate.monitors`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.report import files

if TYPE_CHECKING:
    from cibridge.gate.monitors import Wanted
    from cibridge.gate.settings import MetricCheck


def monitors(runtime: Runtime, checks: Sequence[MetricCheck], service: str) -> int:
    from cibridge.gate import monitors as datadog_monitors

    args = runtime.args
    if args.rules_dir:
        raise CibridgeError(
            "gate rules: --rules-dir is a Prometheus folder; --format datadog installs monitors",
            hint="drop --rules-dir (--apply sends the monitors to Datadog)",
        )
    if args.apply and args.output:
        raise CibridgeError(
            "gate rules: --output writes a file, --apply installs the monitors: choose one",
            hint="drop --output",
        )
    for note in datadog_monitors.left_out(checks):
        runtime.platform.warning(f"gate rules: {note}")
    want = datadog_monitors.wanted(checks, service)
    if args.apply:
        return _install(runtime, want, service)
    text = json.dumps([item.body for item in want], indent=2, ensure_ascii=False) + "\n"
    if args.output:
        files.write(args.output, text, "--output")
        runtime.platform.print(f"gate rules: {len(want)} monitor(s) written to {args.output}")
    else:
        runtime.platform.print(text.rstrip("\n"))
    return EXIT_OK


def _install(runtime: Runtime, want: Sequence[Wanted], service: str) -> int:
    from cibridge.gate import datadog
    from cibridge.gate import monitors as datadog_monitors

    client = datadog.client(runtime.config, runtime.env, runtime.transport)
    datadog.require_app_key(
        runtime.config, runtime.env, "monitors", "monitors_read, monitors_write"
    )
    steps = datadog_monitors.plan(want, datadog_monitors.listed(client, service))
    where = f"Datadog monitors tagged cibridge-service:{datadog_monitors.tag_value(service)}"
    if not steps:
        runtime.platform.print(f"gate rules: {where}: no monitors, nothing installed or removed")
        return EXIT_OK
    lines = "\n".join(f"- {step.name}: {step.action}" for step in steps)
    if runtime.dry_run or getattr(runtime.args, "dry_run", False):
        runtime.platform.print(f"gate rules: would change {where}:\n{lines}")
        return EXIT_OK
    failures = datadog_monitors.apply(client, steps)
    if failures:
        raise CibridgeError(
            "gate rules: " + "; ".join(failures),
            exit_code=EXIT_FAILURE,
            hint="the other monitors were installed; fix what Datadog names and rerun",
        )
    runtime.platform.print(f"gate rules: {where}:\n{lines}")
    return EXIT_OK
