"""Data templates: "render first, then encode".

While a ``*.yml.j2`` template renders, every ``{{ expression }}`` prints an inert random
placeholder and the value is kept aside by reference. The text is parsed as YAML, and only
then are the values put back into the parsed strings, so a commit message can never change
the payload's structure, whether or not the template quoted it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from cibridge.core.errors import CibridgeError
from cibridge.render.budget import Limits, require_defined, text_size


class Placeholders:
    def __init__(self, limits: Limits) -> None:
        self.nonce = secrets.token_hex(6)
        self.values: dict[str, Any] = {}
        self.pattern = re.compile(rf"cbv{self.nonce}x\d+z")
        self.limits = limits
        self.restored = 0

    def finalize(self, value: Any) -> str:
        """``finalize`` of data templates: a placeholder for the value printed."""
        require_defined(value)
        if isinstance(value, str) and self.nonce in value:
            value = self.as_text(value, self.limits.check)  # {% set %} or macro output
        # The value is kept by reference and becomes text only when the payload is encoded.
        size = text_size(value)
        self.limits.check(size, "printing a value")
        self.limits.charge(size)
        key = f"cbv{self.nonce}x{len(self.values)}z"
        self.values[key] = value
        return key

    def as_text(self, text: str, check: Callable[[int, str], None] | None = None) -> str:
        if self.nonce not in text:
            return text
        # One placeholder can be repeated (`s * 100`): count what the copies add up to first.
        size = len(text) + sum(
            text_size(self.values.get(k, "")) for k in self.pattern.findall(text)
        )
        (check or self._restoring)(size, "the payload")
        return self.pattern.sub(lambda m: _text(self.values[m.group(0)]), text)

    def restore(self, node: Any) -> Any:
        """``node`` (parsed YAML) with the values put back where their placeholders are."""
        if isinstance(node, str):
            if node in self.values:
                self._restoring(text_size(self.values[node]), "the payload")
                return self.values[node]
            return self.as_text(node)
        if isinstance(node, list):
            return [self.restore(item) for item in node]
        if isinstance(node, dict):
            return {self.as_text(str(k)): self.restore(v) for k, v in node.items()}
        return node

    def _restoring(self, size: int, what: str) -> None:
        self.restored += size
        self.limits.check(self.restored, what)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_yaml(text: str, name: str) -> Any:
    """The rendered text of template ``name`` as data. (PyYAML is imported here: a warm
    runner's message comes from the parsed-template cache, ``render_parsed``.)"""
    import yaml

    from cibridge.config.schema import yaml_loader

    try:
        return yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        shown = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        raise CibridgeError(
            f"template {name}: rendered output line {line} is not valid YAML: "
            f"{getattr(error, 'problem', error)}\n  {shown}",
            hint="check the template's indentation around that line (`cibridge render` shows it)",
        ) from None
