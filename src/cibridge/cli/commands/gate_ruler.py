"""``gate rules --apply`` with a ruler configured: the service's rule group installed
through the Mimir/Cortex ruler API (see :mod:`cibridge.gate.ruler` for what it owns)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cibridge.cli.runtime import Runtime
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK, CibridgeError

if TYPE_CHECKING:
    from cibridge.gate.ruler import Step


def _line(step: Step, document: dict[str, Any]) -> str:
    rules = {g["name"]: len(g["rules"]) for g in document["groups"]}
    count = f" ({rules[step.group]} rule(s))" if step.action != "removed" else ""
    return f"- {step.group}: {step.action}{count}"


def install(runtime: Runtime, document: dict[str, Any]) -> int:
    """List the namespace, post what is added or changed, delete what is gone; ``--dry-run``
    lists and says what would change, writing nothing."""
    from cibridge.gate import ruler

    target = ruler.ruler(runtime.config, runtime.env, runtime.transport)
    steps = ruler.plan(document, target.client.groups(target.namespace))
    where = f"ruler namespace {target.namespace} (url from {target.where})"
    if not steps:
        runtime.platform.print(f"gate rules: {where}: no rules, nothing installed or removed")
        return EXIT_OK
    lines = "\n".join(_line(step, document) for step in steps)
    if runtime.dry_run or getattr(runtime.args, "dry_run", False):
        runtime.platform.print(f"gate rules: would change {where}:\n{lines}")
        return EXIT_OK
    failures = ruler.apply(target, steps)
    if failures:
        raise CibridgeError(
            "gate rules: " + "; ".join(failures),
            exit_code=EXIT_FAILURE,
            hint="the ruler kept what it had for these groups; fix what it names and rerun",
        )
    runtime.platform.print(f"gate rules: {where}:\n{lines}")
    return EXIT_OK
