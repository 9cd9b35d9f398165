"""Template rendering: Jinja's sandbox, StrictUndefined, and "render first, then encode".

Text templates (``*.md.j2``, ``*.txt.j2``) render to text. Data templates (``*.yml.j2``,
``*.yaml.j2``, ``*.json.j2``) describe a payload whose values are put back only after the
YAML is parsed (``render_data``).

Templates may come from a pull request, so a template is treated as hostile code: it reads
only files inside the template folders (``render_loader``), and everything it can make
bigger (``'x' * n``, ``~``, padding, ``join``, blocks and macros) is checked before the
memory is spent (``render_limits``, ``render_budget``). Compiled templates are cached only
where nobody else can plant one (``render_cache``).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from cibridge.core.errors import CibridgeError
from cibridge.render import filters as template_filters
from cibridge.render.budget import MAX_INT_BITS, MAX_OUTPUT_CHARS, MAX_WORK_CHARS, Limits, TooLarge
from cibridge.render.cache import bytecode_cache
from cibridge.render.data import Placeholders, parse_yaml
from cibridge.render.limits import LimitedEnvironment
from cibridge.render.loader import MAX_TEMPLATE_BYTES, ConfinedLoader
from cibridge.render.parsed import parsed_cache

__all__ = [
    "BUILTIN_DIR",
    "DATA_SUFFIXES",
    "MAX_INT_BITS",
    "MAX_OUTPUT_CHARS",
    "MAX_TEMPLATE_BYTES",
    "MAX_WORK_CHARS",
    "Rendered",
    "cache_root",
    "render",
    "resolve",
    "search_path",
]

DATA_SUFFIXES = (".yml.j2", ".yaml.j2", ".json.j2")
BUILTIN_DIR = Path(__file__).parents[1] / "templates"


@dataclass
class Rendered:
    name: str
    text: str
    data: Any = None

    @property
    def is_data(self) -> bool:
        return self.name.endswith(DATA_SUFFIXES)


def cache_root(env: Mapping[str, str]) -> Path | None:
    """cibridge's cache folder: $CIBRIDGE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache + cibridge."""
    if env.get("CIBRIDGE_CACHE_DIR"):
        return Path(env["CIBRIDGE_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or (env.get("HOME") and os.path.join(env["HOME"], ".cache"))
    return Path(base, "cibridge") if base else None


def search_path(repo_templates: Path | None, extra: Path | None = None) -> list[Path]:
    dirs = [d for d in (extra, repo_templates) if d is not None and d.is_dir()]
    return [*dirs, BUILTIN_DIR]


def resolve(name_or_path: str, dirs: list[Path]) -> tuple[str, list[Path], Path | None]:
    """A template name, the search path to load it from, and the file the user named (if any).

    A file given by path is used even if it is a symlink (the user chose it); its folder is
    searched first for what it includes, under the same rules as every template folder.
    """
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate.name, [candidate.parent, *dirs], Path(os.path.realpath(candidate))
    return name_or_path, dirs, None


def _looks_like_a_path(name: str) -> bool:
    """A name no template folder could hold as is: absolute, or not under a built-in folder."""
    first = Path(name).parts[0] if Path(name).parts else ""
    return Path(name).is_absolute() or not (BUILTIN_DIR / first).is_dir()


def render(
    name_or_path: str,
    variables: Mapping[str, Any],
    dirs: list[Path],
    extra_filters: Mapping[str, Callable[..., Any]] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Rendered:
    """Render a template; ``env`` (the entry point's environment) locates the bytecode cache."""
    name, path, explicit = resolve(name_or_path, dirs)
    limits = Limits()
    placeholders = Placeholders(limits) if name.endswith(DATA_SUFFIXES) else None
    loader = ConfinedLoader(path, (name, explicit) if explicit else None)
    jinja = LimitedEnvironment(
        limits,
        loader=loader,
        bytecode_cache=bytecode_cache(cache_root(env) if env is not None else None),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=placeholders.finalize if placeholders else limits.text,
    )
    jinja.use_filters({**template_filters.FILTERS, **(extra_filters or {})})
    jinja.tests.update(template_filters.TESTS)
    try:
        text = _generate(jinja.get_template(name), variables)
        data = _data(text, name, placeholders, env) if placeholders is not None else None
    except jinja2.TemplateNotFound as error:
        searched = [str(p) for p in path]
        hint = (
            "give a path to a file, or a name such as slack/build.yml.j2; "
            "`cibridge render --list` shows the built-in ones"
        )
        if error.name == name_or_path and explicit is None and _looks_like_a_path(name):
            # A path that is not a file was also looked up as a name in each folder; the
            # file is what the user meant, so it comes first.
            searched.insert(0, f"{os.path.abspath(name)} (no such file)")
            hint = f"create {name} (relative to {os.getcwd()}), or fix the path; " + hint
        raise CibridgeError(
            f"template {error.name!r} not found (searched {', '.join(searched)})", hint=hint
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise CibridgeError(
            f"template {error.filename or name}:{error.lineno}: syntax error: {error.message}",
            hint="fix the Jinja syntax on that line",
        ) from None
    except jinja2.UndefinedError as error:
        raise CibridgeError(
            f"template {_where(error, name, loader.loaded)}: {error.message}",
            hint="use a name the context has (`cibridge render --show-context`), pass it with "
            "--set NAME=VALUE, or guard it: {% if NAME is defined %}",
        ) from None
    except SecurityError as error:
        raise CibridgeError(
            f"template {_where(error, name, loader.loaded)}: blocked by the sandbox: {error}",
            hint="templates may read values and call filters, not reach into Python objects",
        ) from None
    except TooLarge as error:
        raise CibridgeError(
            f"template {_where(error, name, loader.loaded)}: {error}",
            hint="templates describe one message: print fewer or shorter values "
            "(| truncate_chars(N), a smaller loop)",
        ) from None
    except RecursionError:
        raise CibridgeError(
            f"template {name}: macros, blocks or includes nest too deeply (endless recursion?)",
            hint="check that every recursive macro or include has a stopping condition",
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise CibridgeError(f"template {_where(error, name, loader.loaded)}: {error}") from None
    return Rendered(name=name, text=text, data=data)


def _data(text: str, name: str, placeholders: Placeholders, env: Mapping[str, str] | None) -> Any:
    """The payload: the text parsed (or its kept parse), then the values put back."""
    kept = parsed_cache(cache_root(env)) if env is not None else None
    found, tree = kept.get(text, placeholders.nonce) if kept is not None else (False, None)
    if not found:
        tree = parse_yaml(text, name)
    data = placeholders.restore(tree)
    if kept is not None and not found:  # kept once the values went back in within limits
        kept.put(text, placeholders.nonce, tree)
    return data


def _generate(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """The template's text, stopped as soon as it passes the output limit."""
    pieces: list[str] = []
    chars = 0
    for piece in template.generate(**variables):
        chars += len(piece)
        if chars > MAX_OUTPUT_CHARS:
            raise TooLarge(f"the output is longer than {MAX_OUTPUT_CHARS:,} characters")
        pieces.append(piece)
    return "".join(pieces)


def _where(error: BaseException, name: str, loaded: Collection[str] = ()) -> str:
    """``name:line`` of the innermost template frame of the error's traceback."""
    found = name
    for frame in traceback.extract_tb(error.__traceback__):
        filename = frame.filename or ""
        if filename in loaded or filename.endswith(".j2") or filename == "<template>":
            shown = name if filename == "<template>" else _display(Path(filename))
            found = f"{shown}:{frame.lineno}"
    return found


def _display(path: Path) -> str:
    try:
        return f"(built-in) {path.relative_to(BUILTIN_DIR)}"
    except ValueError:
        return str(path)
