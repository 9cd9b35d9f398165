"""Template rendering: Jinja's sandbox, StrictUndefined, and "render first, then encode".

Text templates (``*.md.j2``, ``*.txt.j2``) render to text. Data templates (``*.yml.j2``,
``*.yaml.j2``, ``*.json.j2``) describe a payload: every ``{{ expression }}`` is replaced by an
inert random placeholder while rendering, the result is parsed as YAML, and only then are
the values put back into the parsed strings. A commit message therefore can never change
the payload's structure, whether or not the template quoted it.

Templates may come from a pull request, so a template is treated as hostile code: it reads
only files inside the template folders, and everything it can make bigger (``'x' * n``,
``~``, padding, ``join``, blocks and macros) is checked before the memory is spent.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import stat
import traceback
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

import jinja2
import yaml
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.nodes import Concat
from jinja2.runtime import markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter
from jinja2.sandbox import SandboxedFormatter as _SandboxedFormatter
from jinja2.utils import Namespace, generate_lorem_ipsum
from markupsafe import Markup

from cibridge import log, template_filters
from cibridge.config import yaml_loader
from cibridge.errors import CibridgeError

DATA_SUFFIXES = (".yml.j2", ".yaml.j2", ".json.j2")
BUILTIN_DIR = Path(__file__).parent / "templates"

MAX_TEMPLATE_BYTES = 256 * 1024
# The rendered text, the restored payload and any one value a template builds. Every chat
# service takes far less (Slack 40k characters), so only a runaway template gets here.
MAX_OUTPUT_CHARS = 1024 * 1024
# All the text one render may create, counted where it is made (filters, operators, blocks):
# many values under the limit above must not add up to gigabytes either.
MAX_WORK_CHARS = 16 * MAX_OUTPUT_CHARS
MAX_INT_BITS = 1 << 16
# Part of the bytecode cache's folder name: code compiled by an older generator (without the
# limits below) must never be loaded by this one.
_GENERATOR = "cb1"
_OUTSIDE = "symlinks/paths outside the template folder are not followed"


@dataclass
class Rendered:
    name: str
    text: str
    data: Any = None

    @property
    def is_data(self) -> bool:
        return self.name.endswith(DATA_SUFFIXES)


class _TooLarge(Exception):
    """Raised from inside template code; ``render`` turns it into a CibridgeError with a line."""


def _size(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """About how many characters ``value`` becomes as text, counted only until past ``limit``.

    Lists built by repetition share their items, so a few kilobytes of memory can stand for
    terabytes of text; walking stops early, so the count itself costs at most ``limit`` steps.
    """
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            if total <= limit:
                pending.extend(item.keys())
                pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            if total <= limit:
                pending.extend(item)
        elif isinstance(item, Namespace):
            pending.append(object.__getattribute__(item, "_Namespace__attrs"))
        else:
            total += 8
    return total


def _count(value: Any) -> int:
    """What making ``value`` cost: its length, not the size of items it shares with others."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    return 1


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def _number(digits: str) -> int:
    return int(digits) if len(digits) < 10 else 10**10


def _printf_size(template: str | bytes, args: Any) -> int:
    """An upper bound of ``template % args``: widths and precisions pad."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else ()
    star = max([abs(v) for v in values if isinstance(v, int)], default=0)
    total = len(text) + _size(args)
    for match in _PRINTF.finditer(text):
        for digits in match.groups():
            total += star if digits == "*" else _number(digits) if digits else 0
    return total


class _Limits:
    """One render's allowance, shared by every hook below."""

    def __init__(self) -> None:
        self.spent = 0

    def check(self, size: int, what: str) -> None:
        if size > MAX_OUTPUT_CHARS:
            raise _TooLarge(
                f"{what} would make more than {MAX_OUTPUT_CHARS:,} characters "
                f"(the limit for one value or message)"
            )

    def charge(self, chars: int) -> None:
        self.spent += chars
        if self.spent > MAX_WORK_CHARS:
            raise _TooLarge(
                f"the template creates more than {MAX_WORK_CHARS:,} characters of text in all"
            )

    def text(self, value: Any) -> str:
        """``finalize`` of text templates: a value as it is printed."""
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises here, naming the missing value
        if value is None:
            return ""
        self.check(_size(value), "printing a value")
        text = str(value)
        self.charge(len(text))
        return text

    def before_binop(self, operator: str, left: Any, right: Any) -> None:
        sequences = (str, bytes, list, tuple)
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, sequences) and isinstance(times, int):
                    self.check(_size(sequence) * times, "repeating a value with *")
            if isinstance(left, int) and isinstance(right, int):
                self._check_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                self._check_bits(right * left.bit_length())
        elif operator == "+":
            if isinstance(left, sequences) and isinstance(right, sequences):
                self.check(_size(left) + _size(right), "joining values with +")
        elif operator == "%" and isinstance(left, (str, bytes)):
            self.check(_printf_size(left, right), "formatting with %")

    def _check_bits(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise _TooLarge(f"a number of more than {MAX_INT_BITS:,} bits")

    def before_method(
        self, method: Any, args: tuple[Any, ...], kw: dict[str, Any]
    ) -> tuple[Any, ...]:
        """Checks a str/bytes method that can grow text; returns ``args``, iterables read once."""
        owner = getattr(method, "__self__", None)
        if not isinstance(owner, (str, bytes)):
            return args
        name = getattr(method, "__name__", "")
        what = f"{type(owner).__name__}.{name}()"
        if name in ("ljust", "rjust", "center", "zfill"):
            self.check(max(len(owner), _int(args[0] if args else kw.get("width"))), what)
        elif name == "expandtabs":
            tabs = _int(args[0] if args else kw.get("tabsize"), 8)
            self.check(len(owner) * max(1, tabs), what)
        elif name == "replace" and len(args) >= 2:
            self.check(_replace_size(owner, args[0], args[1], args[2:3]), what)
        elif name == "join" and args:
            items = tuple(args[0])
            self.check(_size(items) + len(owner) * len(items), what)
            return (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], dict):
            widest = max((_size(v) for v in args[0].values()), default=1)
            self.check(len(owner) * max(1, widest), what)
        return args

    def buffer(self) -> _Buffer:
        return _Buffer(self)


def _replace_size(text: Any, old: Any, new: Any, count: Any = ()) -> int:
    if not (isinstance(old, type(text)) and isinstance(new, type(text))):
        return len(text)
    found = text.count(old) if old else len(text) + 1
    if count and isinstance(count[0], int) and count[0] >= 0:
        found = min(found, count[0])
    return len(text) + found * max(0, len(new) - len(old))


class _Buffer(list[str]):
    """Where blocks, macros and ``{% set %}`` collect output: filled only within the limits."""

    def __init__(self, limits: _Limits) -> None:
        super().__init__()
        self._limits = limits
        self._chars = 0

    def _add(self, chars: int) -> None:
        self._chars += chars
        self._limits.check(self._chars, "a block, macro or {% set %}")
        self._limits.charge(chars)

    def append(self, item: str, /) -> None:
        self._add(_count(item))
        super().append(item)

    def extend(self, items: Iterable[str], /) -> None:
        collected = tuple(items)
        self._add(sum(_count(item) for item in collected))
        super().extend(collected)


class _SizedFields(Formatter):
    """``str.format``: each field is checked before it is padded, and the whole as it grows."""

    def __init__(self, limits: _Limits, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._chars = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _SPEC.match(format_spec)
        pad = sum(_number(g) for g in match.groups() if g) if match else 0
        self._limits.check(max(_size(value), pad), "a str.format() field")
        text = super().format_field(value, format_spec)
        self._chars += len(text)
        self._limits.check(self._chars, "str.format()")
        self._limits.charge(len(text))
        return text


class _Formatter(_SizedFields, _SandboxedFormatter):
    pass


class _EscapeFormatter(_SizedFields, SandboxedEscapeFormatter):
    pass


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with two hooks: capped output buffers and a capped ``~``."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.limits.buffer()")

    @optimizeconst
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.limited_join(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


# Filters that pick or reorder items (no new text): only their result's length is counted.
_PICKING_FILTERS = frozenset(
    "attr batch count d default dictsort first groupby items last length list map max min "
    "random reject rejectattr reverse select selectattr slice sort unique abs float int round "
    "filesizeformat".split()
)


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, limits: _Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.globals["lipsum"] = self._lipsum

    def concat(self, pieces: Iterable[str]) -> str:
        """Joins what a block or template yields (``self.blockname()``, ``Template.render``)."""
        chars = 0
        collected = []
        for piece in pieces:
            chars += _count(piece)
            self.limits.check(chars, "a block")
            collected.append(piece)
        self.limits.charge(chars)
        return "".join(collected)

    def limited_join(self, context: jinja2.runtime.Context, parts: tuple[Any, ...]) -> str:
        """The ``~`` operator."""
        chars = 0
        for part in parts:
            chars += _size(part)
            self.limits.check(chars, "joining values with ~")
        self.limits.charge(chars)
        if context.eval_ctx.autoescape:
            return markup_join(parts)
        return "".join(str(part) for part in parts)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        self.limits.before_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        self.limits.charge(_count(result))
        return result

    def call(
        __self,  # Jinja's signature: a macro may take a keyword argument named "self"
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        args = __self.limits.before_method(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        __self.limits.charge(_count(result))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's own ``str.format`` sandboxing, with a formatter that checks sizes."""
        if (
            not isinstance(value, (types.MethodType, types.BuiltinMethodType))
            or value.__name__ not in ("format", "format_map")
            or not isinstance(value.__self__, str)
        ):
            return None
        owner: str = value.__self__
        formatter: _SizedFields
        if isinstance(owner, Markup):
            formatter = _EscapeFormatter(self.limits, self, escape=owner.escape)
        else:
            formatter = _Formatter(self.limits, self)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def _lipsum(self, n: Any = 5, html: bool = True, min: Any = 20, max: Any = 100) -> str:
        self.limits.check(_int(n) * _int(max) * 12, "lipsum()")
        return generate_lorem_ipsum(n, html, min, max)

    def limit_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        picks = name in _PICKING_FILTERS
        pass_arg = getattr(func, "jinja_pass_arg", None)
        skip = 0 if pass_arg is None else 1
        limits = self.limits

        def limited(*args: Any, **kwargs: Any) -> Any:
            if len(args) > skip:
                value, rest = args[skip], args[skip + 1 :]
                if name == "join":
                    value = tuple(value)
                    args = (*args[:skip], value, *rest)
                if not picks:
                    limits.check(_filter_size(name, value, rest, kwargs), f"the {name} filter")
                elif name in ("batch", "slice"):
                    count = rest[0] if rest else kwargs.get("linecount", kwargs.get("slices"))
                    limits.check(_int(count), f"the {name} filter")
            result = func(*args, **kwargs)
            limits.charge(_count(result))
            return result

        # Jinja reads this to pass the context or environment; functools.wraps would copy it
        # too, but costs more than the rest of a render's set-up.
        if pass_arg is not None:
            limited.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
        return limited


def _filter_size(name: str, value: Any, rest: tuple[Any, ...], kw: dict[str, Any]) -> int:
    """An upper bound of the text a filter makes from ``value``."""
    size = _size(value)

    def arg(index: int, key: str, default: Any) -> Any:
        return rest[index] if len(rest) > index else kw.get(key, default)

    if name == "center":
        return max(size, _int(arg(0, "width", 80)))
    if name == "indent":
        width = arg(0, "width", 4)
        prefix = len(width) if isinstance(width, str) else _int(width)
        return size + (str(value).count("\n") + 1) * prefix
    if name == "wordwrap":
        width = max(1, _int(arg(0, "width", 79), 1))
        joint = arg(2, "wrapstring", None) or "\n"
        lines = 2 * size // width + str(value).count("\n") + 2
        return size + lines * _size(joint)
    if name == "replace":
        return _replace_size(str(value), str(arg(0, "old", "")), str(arg(1, "new", "")))
    if name == "join":
        return size + len(str(arg(0, "d", ""))) * len(value)
    if name == "format":
        return _printf_size(str(value), kw or rest)
    if name == "urlize":
        extra = _size(arg(2, "target", "")) + _size(arg(3, "rel", "")) + 40
        return size * extra
    return size


class _Placeholders:
    def __init__(self, limits: _Limits) -> None:
        self.nonce = secrets.token_hex(6)
        self.values: dict[str, Any] = {}
        self.pattern = re.compile(rf"cbv{self.nonce}x\d+z")
        self.limits = limits
        self.restored = 0

    def finalize(self, value: Any) -> str:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises here, naming the missing value
        if isinstance(value, str) and self.nonce in value:
            value = self.as_text(value, self.limits.check)  # {% set %} or macro output
        # The value is kept by reference and becomes text only when the payload is encoded.
        size = _size(value)
        self.limits.check(size, "printing a value")
        self.limits.charge(size)
        key = f"cbv{self.nonce}x{len(self.values)}z"
        self.values[key] = value
        return key

    def as_text(self, text: str, check: Callable[[int, str], None] | None = None) -> str:
        if self.nonce not in text:
            return text
        # One placeholder can be repeated (`s * 100`): count what the copies add up to first.
        size = len(text) + sum(_size(self.values.get(k, "")) for k in self.pattern.findall(text))
        (check or self._restoring)(size, "the payload")
        return self.pattern.sub(lambda m: _text(self.values[m.group(0)]), text)

    def restore(self, node: Any) -> Any:
        if isinstance(node, str):
            if node in self.values:
                self._restoring(_size(self.values[node]), "the payload")
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


class _ConfinedLoader(jinja2.BaseLoader):
    """Loads a template only from a file whose real path is inside the folder it was found in.

    A repository's templates may come from a pull request: a symlink to /proc/self/environ
    or ~/.ssh/id_rsa must not be read, however the template names it.
    """

    def __init__(self, folders: list[Path], explicit: tuple[str, Path] | None = None) -> None:
        self.folders = folders
        self.explicit = explicit
        self.loaded: set[str] = set()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if self.explicit is not None and template == self.explicit[0]:
            return self._load(template, self.explicit[1], self.explicit[1])
        pieces = split_template_path(template)  # refuses ".." and absolute names
        for folder in self.folders:
            candidate = os.path.join(folder, *pieces)
            if not os.path.isfile(candidate):  # also skips FIFOs and devices, which could block
                continue
            real = os.path.realpath(candidate)
            inside = os.path.realpath(folder)
            if not _is_within(real, inside):
                raise CibridgeError(
                    f"template {template!r} in {folder} resolves to {real}, outside that "
                    f"folder: {_OUTSIDE}",
                    hint=f"copy the file into {folder} instead of linking to it, or remove "
                    "the link",
                )
            return self._load(template, Path(candidate), Path(real))
        raise jinja2.TemplateNotFound(template)

    def _load(self, template: str, shown: Path, real: Path) -> tuple[str, str, Callable[[], bool]]:
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)
            mtime = os.path.getmtime(real)
        except OSError as error:
            raise CibridgeError(
                f"template {template!r}: cannot read {shown}: {error.strerror}",
                hint="check the file exists and is readable",
            ) from None
        if len(data) > MAX_TEMPLATE_BYTES:
            raise CibridgeError(
                f"template {template!r} ({shown}) is larger than {MAX_TEMPLATE_BYTES // 1024} KiB",
                hint="split it into smaller templates with {% include %} or {% extends %}",
            )
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CibridgeError(
                f"template {template!r} ({shown}) is not UTF-8 text (byte {error.start})",
                hint="save the file as UTF-8",
            ) from None
        self.loaded.add(str(shown))

        def uptodate() -> bool:
            try:
                return os.path.getmtime(real) == mtime
            except OSError:
                return False

        return source, str(shown), uptodate


def _is_within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def cache_root(env: Mapping[str, str]) -> Path | None:
    """cibridge's cache folder: $CIBRIDGE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache + cibridge."""
    if env.get("CIBRIDGE_CACHE_DIR"):
        return Path(env["CIBRIDGE_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or (env.get("HOME") and os.path.join(env["HOME"], ".cache"))
    return Path(base, "cibridge") if base else None


def _unsafe(path: Path) -> str:
    """Why a cache path could hold files someone else planted, or "" if it cannot."""
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        return "not a directory"
    if info.st_uid != os.getuid():
        return f"owned by uid {info.st_uid}, not {os.getuid()}"
    if info.st_mode & 0o022:
        return f"writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return ""


class _OwnBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Loads a cache file only if this user wrote it: loading one runs pickle on its bytes."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        filename = self._get_cache_filename(bucket)
        try:
            handle = open(filename, "rb")  # noqa: SIM115 - closed below, after the checks
        except OSError:
            return
        with handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
                log.debug(f"template cache: ignoring {filename} (not written by this user)")
                return
            bucket.load_bytecode(handle)


def _bytecode_cache(root: Path | None) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (a warm runner skips compiling), where that is safe.

    A self-hosted runner's tool cache is shared by every job on it; a file planted there would
    run code with this job's secrets in the environment. So the cache is used only from a
    folder this user owns that nobody else can write to; otherwise templates compile each run.
    """
    if root is None or not hasattr(os, "getuid"):
        return None
    directory = root / f"jinja-{jinja2.__version__}-{_GENERATOR}"
    for path in (root, directory):
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            problem = _unsafe(path)
        except OSError as error:
            problem = error.strerror or str(error)
        if problem:
            log.debug(f"template cache not used: {path} is {problem}")
            return None
    return _OwnBytecodeCache(str(directory))


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
    limits = _Limits()
    placeholders = _Placeholders(limits) if name.endswith(DATA_SUFFIXES) else None
    loader = _ConfinedLoader(path, (name, explicit) if explicit else None)
    jinja = _Environment(
        limits,
        loader=loader,
        bytecode_cache=_bytecode_cache(cache_root(env) if env is not None else None),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=placeholders.finalize if placeholders else limits.text,
    )
    filters = {**jinja.filters, **template_filters.FILTERS, **(extra_filters or {})}
    jinja.filters.update({key: jinja.limit_filter(key, f) for key, f in filters.items()})
    jinja.tests.update(template_filters.TESTS)
    try:
        text = _generate(jinja.get_template(name), variables)
        data = placeholders.restore(_parse(text, name)) if placeholders is not None else None
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
            f"template {_where(error, name, loader.loaded)}: {error.message}",
            hint="use a name the context has (`cibridge render --show-context`), pass it with "
            "--set NAME=VALUE, or guard it: {% if NAME is defined %}",
        ) from None
    except SecurityError as error:
        raise CibridgeError(
            f"template {_where(error, name, loader.loaded)}: blocked by the sandbox: {error}",
            hint="templates may read values and call filters, not reach into Python objects",
        ) from None
    except _TooLarge as error:
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


def _generate(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """The template's text, stopped as soon as it passes the output limit."""
    pieces: list[str] = []
    chars = 0
    for piece in template.generate(**variables):
        chars += len(piece)
        if chars > MAX_OUTPUT_CHARS:
            raise _TooLarge(f"the output is longer than {MAX_OUTPUT_CHARS:,} characters")
        pieces.append(piece)
    return "".join(pieces)


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
