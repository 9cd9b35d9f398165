"""How much text one render may make, and what each step of a template would make.

A template may come from a pull request, so everything that can make text bigger is
measured before the memory is spent. Each estimate here is an upper bound that costs far
less to compute than the text it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import jinja2
from jinja2.utils import Namespace

# The rendered text, the restored payload and any one value a template builds. Every chat
# service takes far less (Slack 40k characters), so only a runaway template gets here.
MAX_OUTPUT_CHARS = 1024 * 1024
# All the text one render may create, counted where it is made (filters, operators, blocks):
# many values under the limit above must not add up to gigabytes either.
MAX_WORK_CHARS = 16 * MAX_OUTPUT_CHARS
MAX_INT_BITS = 1 << 16

# Filters that pick or reorder items (no new text): only their result's length is counted.
_PICKING_FILTERS = frozenset(
    "attr batch count d default dictsort first groupby items last length list map max min "
    "random reject rejectattr reverse select selectattr slice sort unique abs float int round "
    "filesizeformat".split()
)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


class TooLarge(Exception):
    """Raised from inside template code; ``render`` turns it into a CibridgeError with a line."""


def require_defined(value: Any) -> None:
    """Fails on an undefined value before a finalizer measures it or keeps it for later."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing value


def text_size(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
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


def cost_of(value: Any) -> int:
    """What making ``value`` cost: its length, not the size of items it shares with others."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    return 1


def int_or(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def format_field_size(value: Any, spec: str) -> int:
    """An upper bound of one ``str.format`` field: the value, or the width it is padded to."""
    match = _FORMAT_SPEC.match(spec)
    pad = sum(_width(digits) for digits in match.groups() if digits) if match else 0
    return max(text_size(value), pad)


def _argument(
    args: tuple[Any, ...], kw: dict[str, Any], index: int, key: str, default: Any = None
) -> Any:
    """A call's argument, given by position or by keyword."""
    return args[index] if len(args) > index else kw.get(key, default)


def _width(digits: str) -> int:
    # Ten digits are already past every limit; int() of a longer string is slow or raises.
    return int(digits) if len(digits) < 10 else 10**10


def _printf_size(template: str | bytes, args: Any) -> int:
    """An upper bound of ``template % args``: widths and precisions pad."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else ()
    star = max([abs(v) for v in values if isinstance(v, int)], default=0)
    total = len(text) + text_size(args)
    for match in _PRINTF.finditer(text):
        for digits in match.groups():
            total += star if digits == "*" else _width(digits) if digits else 0
    return total


def _replace_size(text: Any, old: Any, new: Any, count: Any = ()) -> int:
    if not (isinstance(old, type(text)) and isinstance(new, type(text))):
        return len(text)
    found = text.count(old) if old else len(text) + 1
    if count and isinstance(count[0], int) and count[0] >= 0:
        found = min(found, count[0])
    return len(text) + found * max(0, len(new) - len(old))


def _filter_size(name: str, value: Any, rest: tuple[Any, ...], kw: dict[str, Any]) -> int:
    """An upper bound of the text a filter makes from ``value``."""
    size = text_size(value)
    if name == "center":
        return max(size, int_or(_argument(rest, kw, 0, "width", 80)))
    if name == "indent":
        width = _argument(rest, kw, 0, "width", 4)
        prefix = len(width) if isinstance(width, str) else int_or(width)
        return size + (str(value).count("\n") + 1) * prefix
    if name == "wordwrap":
        width = max(1, int_or(_argument(rest, kw, 0, "width", 79), 1))
        joint = _argument(rest, kw, 2, "wrapstring") or "\n"
        lines = 2 * size // width + str(value).count("\n") + 2
        return size + lines * text_size(joint)
    if name == "replace":
        old, new = _argument(rest, kw, 0, "old", ""), _argument(rest, kw, 1, "new", "")
        return _replace_size(str(value), str(old), str(new))
    if name == "join":
        return size + len(str(_argument(rest, kw, 0, "d", ""))) * len(value)
    if name == "format":
        return _printf_size(str(value), kw or rest)
    if name == "urlize":
        target, rel = _argument(rest, kw, 2, "target", ""), _argument(rest, kw, 3, "rel", "")
        return size * (text_size(target) + text_size(rel) + 40)
    return size


class Limits:
    """One render's allowance, shared by every hook of the sandbox."""

    def __init__(self) -> None:
        self.spent = 0

    def check(self, size: int, what: str) -> None:
        if size > MAX_OUTPUT_CHARS:
            raise TooLarge(
                f"{what} would make more than {MAX_OUTPUT_CHARS:,} characters "
                f"(the limit for one value or message)"
            )

    def charge(self, chars: int) -> None:
        self.spent += chars
        if self.spent > MAX_WORK_CHARS:
            raise TooLarge(
                f"the template creates more than {MAX_WORK_CHARS:,} characters of text in all"
            )

    def text(self, value: Any) -> str:
        """``finalize`` of text templates: a value as it is printed."""
        require_defined(value)
        if value is None:
            return ""
        self.check(text_size(value), "printing a value")
        text = str(value)
        self.charge(len(text))
        return text

    def before_binop(self, operator: str, left: Any, right: Any) -> None:
        sequences = (str, bytes, list, tuple)
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, sequences) and isinstance(times, int):
                    self.check(text_size(sequence) * times, "repeating a value with *")
            if isinstance(left, int) and isinstance(right, int):
                self._check_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                self._check_bits(right * left.bit_length())
        elif operator == "+":
            if isinstance(left, sequences) and isinstance(right, sequences):
                self.check(text_size(left) + text_size(right), "joining values with +")
        elif operator == "%" and isinstance(left, (str, bytes)):
            self.check(_printf_size(left, right), "formatting with %")

    def _check_bits(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise TooLarge(f"a number of more than {MAX_INT_BITS:,} bits")

    def before_filter(
        self, name: str, value: Any, rest: tuple[Any, ...], kw: dict[str, Any]
    ) -> Any:
        """Checks what a filter would make; returns ``value``, an iterable to join read once."""
        if name == "join":
            value = tuple(value)
        if name not in _PICKING_FILTERS:
            self.check(_filter_size(name, value, rest, kw), f"the {name} filter")
        elif name in ("batch", "slice"):
            count = _argument(rest, kw, 0, "linecount", kw.get("slices"))
            self.check(int_or(count), f"the {name} filter")
        return value

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
            self.check(max(len(owner), int_or(_argument(args, kw, 0, "width"))), what)
        elif name == "expandtabs":
            tabs = int_or(_argument(args, kw, 0, "tabsize"), 8)
            self.check(len(owner) * max(1, tabs), what)
        elif name == "replace" and len(args) >= 2:
            self.check(_replace_size(owner, args[0], args[1], args[2:3]), what)
        elif name == "join" and args:
            items = tuple(args[0])
            self.check(text_size(items) + len(owner) * len(items), what)
            return (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], dict):
            widest = max((text_size(v) for v in args[0].values()), default=1)
            self.check(len(owner) * max(1, widest), what)
        return args

    def buffer(self) -> _Buffer:
        return _Buffer(self)


class _Buffer(list[str]):
    """Where blocks, macros and ``{% set %}`` collect output: filled only within the limits."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self._limits = limits
        self._chars = 0

    def _add(self, chars: int) -> None:
        self._chars += chars
        self._limits.check(self._chars, "a block, macro or {% set %}")
        self._limits.charge(chars)

    def append(self, item: str, /) -> None:
        self._add(cost_of(item))
        super().append(item)

    def extend(self, items: Iterable[str], /) -> None:
        collected = tuple(items)
        self._add(sum(cost_of(item) for item in collected))
        super().extend(collected)
