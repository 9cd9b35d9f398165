"""Template rendering: Jinja's sandbox, StrictUndefined, and "render first, then encode".

Text templates (``*.md.j2``, ``*.txt.j2``) render to text. Data templates (``*.yml.j2``,
``*.yaml.j2``, ``*.json.j2``) describe a payload: every ``{{ expression }}`` is replaced by an
inert random placeholder while rendering, the result is parsed as YAML, and only then are
the values put back into the parsed strings. A commit message therefore can never change
the payload's structure, whether or not the template quoted it.
"""

from __future__ import annotations

import re
import secrets
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cibridge import template_filters
from cibridge.config import yaml_loader
from cibridge.errors import CibridgeError

DATA_SUFFIXES = (".yml.j2", ".yaml.j2", ".json.j2")
BUILTIN_DIR = Path(__file__).parent / "templates"


@dataclass
class Rendered:
    name: str
    text: str
    data: Any = None

    @property
    def is_data(self) -> bool:
        return self.name.endswith(DATA_SUFFIXES)


class _Placeholders:
    def __init__(self) -> None:
        self.nonce = secrets.token_hex(6)
        self.values: dict[str, Any] = {}
        self.pattern = re.compile(rf"cbv{self.nonce}x\d+z")

    def finalize(self, value: Any) -> str:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises here, naming the missing value
        if isinstance(value, str) and self.nonce in value:
            value = self.as_text(value)  # macro or {% set %} output that holds placeholders
        key = f"cbv{self.nonce}x{len(self.values)}z"
        self.values[key] = value
        return key

    def as_text(self, text: str) -> str:
        return self.pattern.sub(lambda m: _text(self.values[m.group(0)]), text)

    def restore(self, node: Any) -> Any:
        if isinstance(node, str):
            if node in self.values:
                return self.values[node]
            return self.as_text(node)
        if isinstance(node, list):
            return [self.restore(item) for item in node]
        if isinstance(node, dict):
            return {self.as_text(str(k)): self.restore(v) for k, v in node.items()}
        return node


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (a warm runner skips compiling), if writable."""
    import os

    root = os.environ.get("CIBRIDGE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "cibridge"
    )
    directory = Path(root, f"jinja-{jinja2.__version__}")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def search_path(repo_templates: Path | None, extra: Path | None = None) -> list[Path]:
    dirs = [d for d in (extra, repo_templates) if d is not None and d.is_dir()]
    return [*dirs, BUILTIN_DIR]


def resolve(name_or_path: str, dirs: list[Path]) -> tuple[str, list[Path]]:
    """A template name and the search path to load it from; a file path is searched first."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate.name, [candidate.parent, *dirs]
    return name_or_path, dirs


def render(
    name_or_path: str,
    variables: Mapping[str, Any],
    dirs: list[Path],
    extra_filters: Mapping[str, Callable[..., Any]] | None = None,
) -> Rendered:
    name, path = resolve(name_or_path, dirs)
    placeholders = _Placeholders() if name.endswith(DATA_SUFFIXES) else None
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in path]),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=placeholders.finalize if placeholders else _text,
    )
    env.filters.update(template_filters.FILTERS)
    env.filters.update(extra_filters or {})
    try:
        template = env.get_template(name)
        text = template.render(**variables)
    except jinja2.TemplateNotFound as error:
        searched = ", ".join(str(p) for p in path)
        raise CibridgeError(
            f"template {error.name!r} not found (searched {searched})",
            hint="give a path to a file, or a name such as slack/build.yml.j2; "
            "`cibridge render --list` shows the built-in ones",
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise CibridgeError(
            f"template {error.filename or name}:{error.lineno}: syntax error: {error.message}",
            hint="fix the Jinja syntax on that line",
        ) from None
    except jinja2.UndefinedError as error:
        raise CibridgeError(
            f"template {_where(error, name)}: {error.message}",
            hint="use a name the context has (`cibridge render --show-context`), pass it with "
            "--set NAME=VALUE, or guard it: {% if NAME is defined %}",
        ) from None
    except SecurityError as error:
        raise CibridgeError(
            f"template {_where(error, name)}: blocked by the sandbox: {error}",
            hint="templates may read values and call filters, not reach into Python objects",
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise CibridgeError(f"template {_where(error, name)}: {error}") from None
    rendered = Rendered(name=name, text=text)
    if placeholders is not None:
        rendered.data = placeholders.restore(_parse(text, name))
        rendered.text = text
    return rendered


def _parse(text: str, name: str) -> Any:
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


def _where(error: BaseException, name: str) -> str:
    """``name:line`` of the innermost template frame of the error's traceback."""
    found = name
    for frame in traceback.extract_tb(error.__traceback__):
        filename = frame.filename or ""
        if filename.endswith(".j2") or filename == "<template>":
            shown = name if filename == "<template>" else _display(Path(filename))
            found = f"{shown}:{frame.lineno}"
    return found


def _display(path: Path) -> str:
    try:
        return f"(built-in) {path.relative_to(BUILTIN_DIR)}"
    except ValueError:
        return str(path)
