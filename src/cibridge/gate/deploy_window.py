"""The gate's deploy-window plumbing: an Alertmanager silence held while the gate runs
(``--silence``) and the deploy marker and verdict pushed afterwards (``--push-metrics``).

Neither changes the verdict: a silence that cannot be created stops the gate before it
starts (exit 1: the user asked for quiet and would not get it), while a silence that cannot
be expired, or a push that fails, is a warning: the silence ends by itself, and the gate's
verdict is what the pipeline needs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cibridge.core.errors import EXIT_FAILURE, CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.gate.results import GateResult
    from cibridge.gate.settings import GateSettings
    from cibridge.http.transport import Transport

# A silence outlives the planned window by this much, in case Prometheus is slow to answer.
SILENCE_MARGIN = 600.0


@dataclass
class Window:
    config: Config
    env: Mapping[str, str]
    transport: Transport
    warn: Callable[[str], None]
    say: Callable[[str], None]


def planned_seconds(settings: GateSettings) -> float:
    """How long the gate expects to run: the longest metric window and the health checks."""
    metrics = max((c.initial_delay + c.duration for c in settings.metrics), default=0.0)
    checks = [(c.timeout, c.retries, c.interval) for c in settings.http]
    checks += [(c.timeout, c.retries, c.interval) for c in settings.tcp]
    health = 0.0
    for timeout, retries, interval in checks:
        health += timeout * (retries + 1) + interval * float(2**retries)
    return metrics + health


def matchers(pairs: list[str], values: Mapping[str, object]) -> dict[str, str]:
    """``NAME=VALUE`` matchers; by default the service's, ``service=<service_name>``."""
    found: dict[str, str] = {}
    # The action's input arrives as one value: one matcher per line or comma.
    items = [item.strip() for pair in pairs for item in re.split(r"[\n,]", pair) if item.strip()]
    for pair in items:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CibridgeError(
                f"--silence-matcher {pair[:60]!r} is not NAME=VALUE",
                hint="e.g. --silence-matcher service=checkout",
            )
        found[name.strip()] = value
    if not found:
        service = str(values.get("service_name") or "")
        if not service:
            raise CibridgeError(
                "--silence: which alerts? there is no service_name and no --silence-matcher",
                hint="pass --set service_name=NAME (silences service=NAME) or --silence-matcher",
            )
        found["service"] = service
    return found


@contextlib.contextmanager
def silenced(
    window: Window, match: Mapping[str, str], seconds: float, comment: str
) -> Iterator[None]:
    from cibridge.clients import alertmanager as silence
    from cibridge.gate import peers

    where = peers.endpoint("alertmanager", window.config, window.env, window.transport)
    with silence.silenced(
        window.transport,
        where.url,
        match,
        duration=seconds + SILENCE_MARGIN,
        comment=comment,
        created_by="cibridge gate",
        auth=where.auth,
        headers=where.headers,
    ) as held:
        shown = ", ".join(f"{k}={v}" for k, v in match.items())
        window.say(f"Alertmanager: silence {held.id} for {shown} while the gate runs")
        yield
    if held.expire_error is not None:
        window.warn(
            f"Alertmanager: silence {held.id} could not be expired ({held.expire_error.message}); "
            "it ends by itself"
        )
    else:
        window.say(f"Alertmanager: silence {held.id} expired")


def push(window: Window, result: GateResult, service: str, environment: str) -> str:
    """Push the marker and verdict; the group path, or '' when the push failed (warned)."""
    from cibridge.gate import markers, peers

    where = peers.endpoint("pushgateway", window.config, window.env, window.transport)
    grouping = {"environment": environment} if environment else {}
    try:
        path = markers.push_deploy(
            window.transport,
            where.url,
            service=service,
            deployed_at=result.deployed_at,
            verdict=result.verdict,
            action=result.action,
            finished_at=result.finished,
            grouping=grouping,
            auth=where.auth,
            headers=where.headers,
        )
    except CibridgeError as error:
        if error.exit_code != EXIT_FAILURE:
            raise
        window.warn(f"Pushgateway: the deploy marker was not pushed: {error}")
        return ""
    window.say(f"Pushgateway: deploy marker and verdict pushed to {path}")
    return path
