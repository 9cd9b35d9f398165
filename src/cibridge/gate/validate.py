"""The gate's configuration checked without sending anything, for ``config check``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config


def validate(config: Config, env: Mapping[str, str]) -> list[CibridgeError]:
    """Each problem of the gate's settings (exit 2, naming the key's file and line and the
    fix); empty when the gate would start. Nothing is queried, nothing rendered."""
    from cibridge.gate import settings, source

    problems: list[CibridgeError] = []
    try:
        gate = settings.load(config)
    except CibridgeError as error:
        return [error]
    found = source.settings(config, env)
    # No URL here may well be one in the CI's environment (PROMETHEUS_URL): gate says so
    # where it runs. A URL that is there but unusable can never work.
    try:
        configured = found.value("url", "PROMETHEUS_URL") or found.value("base_url")
    except CibridgeError as error:  # an unset ${VAR} (config check makes it a warning)
        return [error]
    if gate.metrics and found.enabled() and configured:
        try:
            source.url(config, env)
        except CibridgeError as error:
            problems.append(error)
    return problems
