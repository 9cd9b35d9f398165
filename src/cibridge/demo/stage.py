"""What a demo chapter may use, handed down by the entry point (the demo never reads the
command line or the process environment itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cibridge.context.model import Context
    from cibridge.context.platforms import Platform


@dataclass
class Stage:
    platform: Platform
    context: Context
    env: dict[str, str]  # the run's; the demo drops what could reach a real service
    notify_settings: dict[str, Any]  # the repository's notify: block (templates, mentions)
    templates_dir: Path
    locale: str = "en"
    # The configuration the chapters ran with, as .cibridge.yml keys: shown at the end.
    used: dict[str, Any] = field(default_factory=dict)
    # What a chapter's runs published (their outputs, the gate's result), for the release
    # chapter, which reports them in one thread.
    published: dict[str, Any] = field(default_factory=dict)

    def variables(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        values = self.context.template_vars()
        values.update(extra or {})
        return values
