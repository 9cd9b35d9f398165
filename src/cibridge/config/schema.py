"""One configuration file, from bytes to validated data, with the line of every value.

The file is read to a size cap and composed into a YAML node tree. PyYAML composes an alias
as a second reference to the anchored node, so a few hundred bytes of nested aliases stand
for billions of nodes; anything that walks the tree path by path (line numbers, validation,
constructing data) would expand them. :func:`bound` therefore measures the expanded size and
depth over distinct nodes before any such walk, and refuses cycles. Validation uses a real
JSON Schema implementation on the constructed data, so the shipped schema and the runtime
cannot disagree; the node tree is what turns each error's path back into ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

MAX_CONFIG_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_SHOWN = 60

Path_ = tuple[str | int, ...]


@cache
def schema() -> dict[str, Any]:
    text = (Path(__file__).parent / "cibridge.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def yaml_loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader where PyYAML was built with it (several times faster)."""
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def load_file(path: Path) -> tuple[dict[str, Any], dict[Path_, str]] | None:
    """One file's data and lines, or None when it is empty."""
    text = _read(path)
    root = _compose(text, path)
    if root is None:
        return None
    # Bounded first: everything after walks the tree path by path, aliases expanded.
    bound(root, str(path))
    check_keys(root, str(path))
    data = _plain(_construct(root, path))
    validate(root, data, str(path))
    return data, lines(root, str(path))


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise CibridgeError(
            f"configuration file {path} does not exist",
            hint="pass --config PATH, set CIBRIDGE_CONFIG, or create .cibridge.yml",
        ) from None
    except OSError as error:
        what = "is a directory" if path.is_dir() else f"cannot be read: {error.strerror}"
        raise CibridgeError(
            f"configuration file {path} {what}",
            hint="pass the YAML file itself, e.g. --config .cibridge.yml",
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise CibridgeError(
            f"configuration file {path} is larger than 1 MiB",
            hint="a cibridge configuration is a few kilobytes; pass the right file",
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CibridgeError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x})",
            hint="save the file as UTF-8",
        ) from None


def _compose(text: str, path: Path) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=yaml_loader())
    except yaml.YAMLError as error:
        raise _yaml_error(error, path, text) from None
    except RecursionError:
        raise CibridgeError(
            f"{path}: the configuration nests too deeply", hint="flatten the structure"
        ) from None
    return node


def _construct(root: yaml.Node, path: Path) -> Any:
    loader = yaml_loader()("")
    try:
        return loader.construct_document(root)
    except (yaml.YAMLError, ValueError) as error:
        raise _yaml_error(error, path, "") from None
    finally:
        loader.dispose()


def _yaml_error(error: Exception, path: Path, text: str) -> CibridgeError:
    mark = getattr(error, "problem_mark", None)
    position = getattr(error, "position", None)
    if mark is not None:
        line = f":{mark.line + 1}"
    elif isinstance(position, int):
        line = f":{text[:position].count(chr(10)) + 1}"
    else:
        line = ""
    problem = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error)
    return CibridgeError(
        f"{path}{line}: not valid YAML: {problem}",
        hint="check indentation and quoting on that line (values with ': ' or '#' need quotes)",
    )


def _plain(value: Any) -> Any:
    """A copy with no shared parts: an alias's target is copied per use, so merging a
    later file into one place cannot change another (the size was bounded before)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _where(file: str, node: yaml.Node) -> str:
    return f"{file}:{node.start_mark.line + 1}"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def bound(root: yaml.Node, file: str) -> None:
    """Refuse a tree whose expansion is too big, too deep, or endless (a recursive alias).

    Sizes and heights are computed once per distinct node (iteratively, post-order), so the
    cost follows the file's length, not its expansion."""
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        if finished:
            open_nodes.discard(ident)
            sizes[ident] = _measure(node, sizes, file)
        elif ident not in sizes:
            if ident in open_nodes:
                raise CibridgeError(
                    f"{_where(file, node)}: an alias refers to a node that contains it",
                    hint="YAML aliases (*name) here must not point at their own ancestors",
                )
            open_nodes.add(ident)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _measure(node: yaml.Node, sizes: dict[int, tuple[int, int]], file: str) -> tuple[int, int]:
    measured = [sizes[id(child)] for child in _children(node)]
    size = 1 + sum(count for count, _ in measured)
    depth = 1 + max((height for _, height in measured), default=0)
    if size > MAX_NODES:
        raise CibridgeError(
            f"{file}: the YAML aliases expand to too many nodes (more than {MAX_NODES:,}, "
            f"counting from line {node.start_mark.line + 1})",
            hint="write the values out, or use fewer nested aliases (*name) and merge keys "
            "(<<: *name)",
        )
    if depth > MAX_DEPTH:
        raise CibridgeError(
            f"{_where(file, node)}: the configuration nests deeper than {MAX_DEPTH} levels",
            hint="flatten the structure; no setting needs that many levels",
        )
    return size, depth


def check_keys(root: yaml.Node, file: str) -> None:
    """Keys must be plain scalars and unique per mapping. Keys are retagged as strings and
    timestamps as text, so the data matches what was written and what JSON Schema expects
    (``on:`` stays ``"on"``, not ``True``). Run after :func:`bound`."""
    seen: set[int] = set()
    for path, node in _walk(root, ()):
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag == _TIMESTAMP:
            node.tag = _STR
        if isinstance(node, yaml.MappingNode):
            _check_mapping(node, path, file)


def _check_mapping(node: yaml.MappingNode, path: Path_, file: str) -> None:
    names: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise CibridgeError(
                f"{_where(file, key_node)}: {label(path)} has a key that is not plain text",
                hint="write keys as plain words, e.g. `name: value`",
            )
        if key_node.tag == _MERGE:
            continue
        key_node.tag = _STR
        if key_node.value in names:
            raise CibridgeError(
                f"{_where(file, key_node)}: {label((*path, key_node.value))} is given twice",
                hint="keep one; YAML would silently drop the first",
            )
        names.add(key_node.value)


def _walk(node: yaml.Node, path: Path_) -> Iterator[tuple[Path_, yaml.Node]]:
    """Every node with its path, aliases expanded: only for trees :func:`bound` accepted."""
    yield path, node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _walk(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index))


def lines(root: yaml.Node, file: str) -> dict[Path_, str]:
    """``file:line`` of every value; a key given again after a merge (``<<``) wins."""
    return {path: _where(file, node) for path, node in _walk(root, ())}


def find(root: yaml.Node, path: Sequence[str | int]) -> tuple[yaml.Node | None, yaml.Node]:
    """The key node (None for list items and the root) and value node at ``path``."""
    key_node: yaml.Node | None = None
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            matches = [pair for pair in node.value if pair[0].value == str(part)]
            if not matches:
                break
            key_node, node = matches[-1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            key_node, node = None, node.value[part]
        else:
            break
    return key_node, node


def label(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


@cache
def _validator() -> Validator:
    # Imported here: only commands that load a config file pay for jsonschema.
    from jsonschema.validators import validator_for

    shipped = schema()
    validator: Validator = validator_for(shipped)(shipped)
    return validator


def validate(root: yaml.Node, data: Any, file: str) -> None:
    """Raise one error naming every schema violation in ``data``, each with its line, so
    one run shows everything to fix."""
    found = sorted(
        problem
        for error in _validator().iter_errors(data)
        for problem in _problems(error, root, file)
    )
    if len(found) == 1:
        _, message, hint = found[0]
        raise CibridgeError(message, hint=hint)
    if found:
        listed = "".join(
            f"\n  {message}" + (f" ({hint})" if hint else "") for _, message, hint in found
        )
        raise CibridgeError(
            f"{file} has {len(found)} problems:{listed}",
            hint="fix each line listed; `cibridge config schema` prints what is allowed",
        )


Problem = tuple[int, str, str]  # line (for ordering), message, hint


def _problems(error: ValidationError, root: yaml.Node, file: str) -> list[Problem]:
    path: Path_ = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return [_unknown_key(error, root, path, key, file) for key in _extra_keys(error)]
    _, node = find(root, path)
    line = node.start_mark.line + 1
    message, hint = _explain(error, label(path))
    return [(line, f"{file}:{line}: {message}", hint)]


def _rule(error: ValidationError) -> dict[str, Any]:
    """The schema object the failed keyword sits in ({} for a boolean schema)."""
    return error.schema if isinstance(error.schema, dict) else {}


def _extra_keys(error: ValidationError) -> list[str]:
    rule = _rule(error)
    patterns = list(rule.get("patternProperties", {}))
    instance: Any = error.instance
    return [
        key
        for key in instance
        if key not in rule.get("properties", {})
        and not any(re.search(pattern, key) for pattern in patterns)
    ]


def _unknown_key(
    error: ValidationError, root: yaml.Node, path: Path_, key: str, file: str
) -> Problem:
    known = sorted(_rule(error).get("properties", {}))
    key_node, node = find(root, (*path, key))
    line = (key_node or node).start_mark.line + 1
    hint = _did_you_mean(key, known) or f"known keys here: {', '.join(known)}"
    return line, f"{file}:{line}: unknown key {label((*path, key))!r}", hint


def _explain(error: ValidationError, where: str) -> tuple[str, str]:
    """What was expected, in words; never the value itself unless it is a short choice
    (the value could be a secret)."""
    rule = _rule(error)
    wanted: Any = error.validator_value
    if error.validator == "type":
        expected = wanted if isinstance(wanted, str) else " or ".join(wanted)
        return f"{where} must be {expected}, not {json_type(error.instance)}", _describe(rule)
    if error.validator == "enum":
        # An enum may list a choice as a string and as a number (api_version: "2" or 2);
        # the reader sees both as one.
        choices = list(dict.fromkeys(str(choice) for choice in wanted))
        shown = repr(error.instance)[:_MAX_SHOWN]
        hint = _did_you_mean(str(error.instance), choices) or _describe(rule)
        return f"{where} is {shown}, which is not one of: {', '.join(choices)}", hint
    if error.validator == "required":
        return f"{where}: {error.message}", _describe(rule)
    constraint = json.dumps(wanted)[:_MAX_SHOWN]
    return f"{where} does not satisfy {error.validator} {constraint}", _describe(rule)


def json_type(value: object) -> str:
    if value is None:
        return "null"
    names = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))
    for kind, name in (*names, (dict, "object"), (list, "array")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _describe(rule: dict[str, Any]) -> str:
    description = rule.get("description")
    return f"expected: {description}" if description else "see docs/reference/configuration.md"
