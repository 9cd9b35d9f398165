"""Jinja's sandbox with every way to make text checked against one render's ``Limits`` first.

Operators, method calls, ``str.format`` and joined blocks go through hooks the sandbox
already has; filters and ``lipsum`` are wrapped. Output buffers (blocks, macros,
``{% set %}``) and ``~`` are compiled inline, so the code generator below rewrites them into
calls to this environment.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable, Mapping
from string import Formatter
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import Concat
from jinja2.runtime import markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup

from cibridge.render.budget import Limits, cost_of, format_field_size, int_or, text_size

# Part of the bytecode cache's folder name, so code compiled by another generator (say, one
# without these hooks) is never loaded by this one. Change it whenever the generated code
# changes, including the names it calls: ``environment.limits.buffer``, ``limited_join``.
GENERATOR = "cb1"


class _LimitedCodeGenerator(CodeGenerator):
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


class _SizedFields(Formatter):
    """``str.format``: each field is checked before it is padded, and the whole as it grows."""

    def __init__(self, limits: Limits, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._chars = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        self._limits.check(format_field_size(value, format_spec), "a str.format() field")
        text = super().format_field(value, format_spec)
        self._chars += len(text)
        self._limits.check(self._chars, "str.format()")
        self._limits.charge(len(text))
        return text


class _LimitedFormatter(_SizedFields, SandboxedFormatter):
    pass


class _LimitedEscapeFormatter(_SizedFields, SandboxedEscapeFormatter):
    pass


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, limits: Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.globals["lipsum"] = self._lipsum

    def use_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        """Adds ``filters`` to Jinja's own, all of them checked by the limits."""
        combined = {**self.filters, **filters}
        self.filters.update({name: self._limit_filter(name, f) for name, f in combined.items()})

    def concat(self, pieces: Iterable[str]) -> str:
        """Joins what a block or template yields (``self.blockname()``, ``Template.render``)."""
        chars = 0
        collected = []
        for piece in pieces:
            chars += cost_of(piece)
            self.limits.check(chars, "a block")
            collected.append(piece)
        self.limits.charge(chars)
        return "".join(collected)

    def limited_join(self, context: jinja2.runtime.Context, parts: tuple[Any, ...]) -> str:
        """The ``~`` operator."""
        chars = 0
        for part in parts:
            chars += text_size(part)
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
        self.limits.charge(cost_of(result))
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
        __self.limits.charge(cost_of(result))
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
            formatter = _LimitedEscapeFormatter(self.limits, self, escape=owner.escape)
        else:
            formatter = _LimitedFormatter(self.limits, self)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def _lipsum(self, n: Any = 5, html: bool = True, min: Any = 20, max: Any = 100) -> str:
        self.limits.check(int_or(n) * int_or(max) * 12, "lipsum()")
        return generate_lorem_ipsum(n, html, min, max)

    def _limit_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        pass_arg = getattr(func, "jinja_pass_arg", None)
        skip = 0 if pass_arg is None else 1
        limits = self.limits

        def limited(*args: Any, **kwargs: Any) -> Any:
            if len(args) > skip:
                value = limits.before_filter(name, args[skip], args[skip + 1 :], kwargs)
                if value is not args[skip]:
                    args = (*args[:skip], value, *args[skip + 1 :])
            result = func(*args, **kwargs)
            limits.charge(cost_of(result))
            return result

        # Jinja reads this to pass the context or environment; functools.wraps would copy it
        # too, but costs more than the rest of a render's set-up.
        if pass_arg is not None:
            limited.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
        return limited
