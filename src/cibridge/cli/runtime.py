"""What one cibridge invocation knows: platform, configuration, context, options."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.core import redact
from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.context.model import Context
    from cibridge.context.platforms import Platform
    from cibridge.http.transport import Transport


# Values the context provides as structures; a string in their place would break templates.
RESERVED_SETS = frozenset({"commits", "pull_request", "message", "t", "duration_seconds"})


def parse_sets(pairs: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CibridgeError(
                f"--set {pair[:60]!r} is not KEY=VALUE", hint="write --set service_name=checkout"
            )
        if key.strip() in RESERVED_SETS:
            raise CibridgeError(
                f"--set {key.strip()}: `{key.strip()}` is filled from the CI context and cannot "
                "be set",
                hint="choose another name and use it in your template",
            )
        values[key.strip()] = value
    return values


class Runtime:
    def __init__(self, args: argparse.Namespace, env: Mapping[str, str], platform: Platform):
        self.args = args
        self.env = env
        self.platform = platform
        self.dry_run: bool = bool(getattr(args, "dry_run", False))
        self.cwd = Path(getattr(args, "working_directory", None) or os.getcwd())
        # What a command hands to the reports that follow it (the release thread): the
        # gate's report, whether notify's Slack message went into the thread.
        self.details: dict[str, Any] = {}
        self.release: Any = None  # the release thread notify opened before it sent

    @cached_property
    def config(self) -> Config:
        from cibridge.config import loader as config

        explicit = getattr(self.args, "config", None) or []
        return config.load(config.discover(explicit, self.cwd, self.env), self.env)

    @cached_property
    def context(self) -> Context:
        from cibridge.context.model import apply_overrides

        context = apply_overrides(self.platform.context(self.env, str(self.cwd)), self.env)
        for note in context.notes:
            self.platform.warning(note)
        return context

    @cached_property
    def transport(self) -> Transport:
        """One HTTP session for the whole run (connection reuse, one OAuth token)."""
        from cibridge.http.transport import HttpSettings, Transport

        return Transport(HttpSettings.from_env(self.env))

    def jira_site(self) -> str:
        """The Jira site the run's issues link to ("" when none is configured)."""
        from cibridge.config import variables
        from cibridge.http.integration import IntegrationSettings

        jira = IntegrationSettings("jira", "project_management", self.config, self.env)
        return str(jira.value("base_url", variables.name("jira", "base_url"), "") or "")

    def sets(self) -> dict[str, str]:
        return parse_sets(getattr(self.args, "set", None))

    def variables(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        values = self.context.template_vars()
        values.update(extra or {})
        values.update(self.sets())
        return values

    def templates_dir(self) -> Path:
        configured = self.config.value("notify", "templates_dir")
        return self.cwd / (configured or ".cibridge/templates")

    def secret_from_env(self, name: str) -> str | None:
        value = self.env.get(name) or None
        redact.register(value)
        return value
