"""Checking Azure Boards requests against Microsoft's published REST description.

The operations cibridge calls, as ``azure_boards_spec.json`` (package data, written by
``scripts/azure_boards_spec.py`` from MicrosoftDocs/vsts-rest-api-specs
``specification/wit/7.1/workItemTracking.json``): a request must match an operation's
path template and method, carry the ``api-version`` that operation names (``7.1``, or
``7.1-preview.4`` for comments), its required query parameters with values from their
enums, the content type it consumes, and a body of the schema's shape (for a JSON Patch
document: a list of ``{op, path, value}`` with ``op`` from the enum). Paths match as Azure
DevOps routes them, ignoring letter case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC = Path(__file__).with_name("azure_boards_spec.json")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    version: str
    consumes: tuple[str, ...]
    query: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None

    def matches(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found and method == self.method else None


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex, re.IGNORECASE)


@cache
def operations() -> tuple[Operation, ...]:
    data = json.loads(SPEC.read_text(encoding="utf-8"))
    return tuple(
        Operation(
            o["operationId"],
            o["method"],
            o["path"],
            _pattern(o["path"]),
            o["api-version"],
            tuple(o["consumes"]),
            tuple(o["query"]),
            o["body"],
        )
        for o in data["operations"]
    )


def find(method: str, path: str) -> tuple[Operation, dict[str, str]] | str:
    """The operation and its path parameters, or why none matches."""
    same_path = False
    for operation in operations():
        if operation.pattern.fullmatch(path):
            same_path = True
            params = operation.matches(method, path)
            if params is not None:
                return operation, params
    return f"{method} is not an operation of {path}" if same_path else f"no operation at {path}"


def problems(
    operation: Operation, query: dict[str, str], content_type: str, body: Any
) -> list[str]:
    found = []
    version = query.get("api-version")
    if not version:
        found.append("api-version is missing")
    elif version != operation.version:
        found.append(
            f"api-version {version} is not {operation.version} for {operation.operation_id}"
        )
    names = {q["name"] for q in operation.query} | {"api-version"}
    for name in query:
        if name not in names:
            found.append(f"query parameter {name!r} is not in the operation")
    for param in operation.query:
        value = query.get(param["name"])
        if value is None:
            if param.get("required"):
                found.append(f"query parameter {param['name']} is required")
            continue
        if "enum" in param and value not in param["enum"]:
            found.append(f"{param['name']}={value!r} is not one of {param['enum']}")
        if param.get("type") == "integer" and not value.isdigit():
            found.append(f"{param['name']}={value!r} is not an integer")
        if param.get("type") == "boolean" and value.lower() not in ("true", "false"):
            found.append(f"{param['name']}={value!r} is not a boolean")
    if operation.body is None:
        return found
    kind = content_type.split(";")[0].strip().lower()
    if operation.consumes and kind not in operation.consumes:
        found.append(f"content type {kind or '(none)'} is not {', '.join(operation.consumes)}")
    found += _shape(operation.body, body, "body")
    return found


def _shape(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where} is not an array"]
        return [
            p
            for i, item in enumerate(value)
            for p in _shape(schema.get("items") or {}, item, f"{where}[{i}]")
        ]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        properties = schema.get("properties") or {}
        found = [
            f"{where}: unknown property {k!r}" for k in value if properties and k not in properties
        ]
        for key, sub in properties.items():
            if key in value and sub.get("type") != "object":  # "value" is any JToken
                found += _shape(sub, value[key], f"{where}.{key}")
        return found
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return [f"{where}: {value!r} is not an integer"]
    if kind == "string" and not isinstance(value, str):
        return [f"{where}: {value!r} is not a string"]
    return []
