"""Validates parsed YAML nodes against the shipped JSON Schema, with file and line.

Only the subset of JSON Schema the shipped schema uses is interpreted (type, properties,
additionalProperties, items, enum, $ref); working on YAML nodes rather than plain data is
what lets every error name the line it is about.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cibridge.errors import CibridgeError

_YAML_TYPES = {
    "tag:yaml.org,2002:str": "string",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "string",
}


@cache
def schema() -> dict[str, Any]:
    text = (Path(__file__).parent / "schema" / "cibridge.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _deref(rule: dict[str, Any]) -> dict[str, Any]:
    ref = rule.get("$ref")
    if ref is None:
        return rule
    target: dict[str, Any] = schema()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _node_type(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "object"
    if isinstance(node, yaml.SequenceNode):
        return "array"
    return _YAML_TYPES.get(node.tag, "string")


def _type_ok(actual: str, wanted: str | list[str]) -> bool:
    allowed = [wanted] if isinstance(wanted, str) else wanted
    return actual in allowed or (actual == "integer" and "number" in allowed)


def _where(file: str, node: yaml.Node) -> str:
    return f"{file}:{node.start_mark.line + 1}"


def validate(
    node: yaml.Node, file: str, rule: dict[str, Any] | None = None, path: str = ""
) -> None:
    rule = _deref(rule if rule is not None else schema())
    actual = _node_type(node)
    label = path or "top level"
    if "type" in rule and not _type_ok(actual, rule["type"]):
        wanted = rule["type"] if isinstance(rule["type"], str) else " or ".join(rule["type"])
        raise CibridgeError(
            f"{_where(file, node)}: {label} must be {wanted}, not {actual}",
            hint=_describe(rule),
        )
    if "enum" in rule and isinstance(node, yaml.ScalarNode):
        value = yaml.safe_load(yaml.serialize(node))
        if value not in rule["enum"] and str(value) not in [str(v) for v in rule["enum"]]:
            choices = ", ".join(str(v) for v in rule["enum"])
            raise CibridgeError(
                f"{_where(file, node)}: {label} is {value!r}, which is not one of: {choices}",
                hint=_did_you_mean(str(value), [str(v) for v in rule["enum"]]),
            )
    if isinstance(node, yaml.MappingNode):
        _validate_mapping(node, file, rule, path)
    elif isinstance(node, yaml.SequenceNode) and "items" in rule:
        for index, item in enumerate(node.value):
            validate(item, file, rule["items"], f"{path}[{index}]")


def _validate_mapping(node: yaml.MappingNode, file: str, rule: dict[str, Any], path: str) -> None:
    properties: dict[str, Any] = rule.get("properties", {})
    extra = rule.get("additionalProperties", True)
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value)
        child = f"{path}.{key}" if path else key
        if key in seen:
            raise CibridgeError(
                f"{_where(file, key_node)}: {child} is given twice",
                hint="keep one; YAML would silently drop the first",
            )
        seen.add(key)
        if key in properties:
            validate(value_node, file, properties[key], child)
        elif isinstance(extra, dict):
            validate(value_node, file, extra, child)
        elif extra is False:
            known = sorted(properties)
            hint = _did_you_mean(key, known) or f"known keys here: {', '.join(known)}"
            raise CibridgeError(
                f"{_where(file, key_node)}: unknown key {child!r}",
                hint=hint,
            )


def _did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _describe(rule: dict[str, Any]) -> str:
    description = rule.get("description")
    return (
        f"expected: {description}"
        if description
        else "see the configuration reference in README.md"
    )
