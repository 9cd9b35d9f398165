#!/usr/bin/env python3
"""Write the Azure Boards stand-in's part of Microsoft's REST description.

    python scripts/azure_boards_spec.py           # rewrite the package data
    python scripts/azure_boards_spec.py --check   # exit 1 when it differs

The stand-in checks every request against the operations cibridge calls, taken from
``tests/fixtures/azure-devops/workItemTracking.json`` (MicrosoftDocs/vsts-rest-api-specs,
specification/wit/7.1; see SOURCE there): path template, method, the api-version each
operation's parameter names, query parameters (required, enum), the content type it
consumes and, for the two bodies cibridge sends, their schema. The part is package data
(``src/cibridge/demo/standins/azure_boards_spec.json``), so the stand-in checks the same
way from a wheel, without the fixtures.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT / "tests" / "fixtures" / "azure-devops" / "workItemTracking.json"
PART = ROOT / "src" / "cibridge" / "demo" / "standins" / "azure_boards_spec.json"
WIT = "/{organization}/{project}/_apis/wit/"
# (section, path, method): what cibridge boards calls.
OPERATIONS = [
    ("paths", WIT + "workitemsbatch", "post"),
    ("paths", WIT + "workitems/{id}", "get"),
    ("paths", WIT + "workitems/{id}", "patch"),
    ("paths", WIT + "workitemtypes/{type}/states", "get"),
    ("paths", WIT + "workItems/{id}/updates", "get"),
    ("x-ms-paths", WIT + "workItems/{workItemId}/comments?format={format}", "post"),
    ("x-ms-paths", WIT + "workItems/{workItemId}/comments?", "get"),
]
_VERSION = re.compile(r"set to '([^']+)'")


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            section = "parameters" if "/parameters/" in node["$ref"] else "definitions"
            return _resolve(spec, spec[section][name])
        return {k: _resolve(spec, v) for k, v in node.items() if not k.startswith("x-ms-enum")}
    if isinstance(node, list):
        return [_resolve(spec, item) for item in node]
    return node


def part(spec: dict[str, Any]) -> dict[str, Any]:
    operations = []
    for section, path, method in OPERATIONS:
        operation = spec[section][path][method]
        params = [_resolve(spec, p) for p in operation["parameters"]]
        version = next(p for p in params if p["name"] == "api-version")
        body = next((p["schema"] for p in params if p["in"] == "body"), None)
        if body is not None and body.get("allOf"):  # JsonPatchDocument: allOf [an array]
            body = body["allOf"][0]
        if body is not None and body.get("properties"):
            body = {
                "type": body.get("type", "object"),
                "properties": {
                    k: {key: v[key] for key in ("type", "enum", "items") if key in v}
                    for k, v in body["properties"].items()
                },
            }
        elif body is not None:
            body = {"type": body.get("type"), "items": body.get("items")}
            item = body["items"] or {}
            if "properties" in item:
                body["items"] = {
                    "type": "object",
                    "properties": {
                        k: {key: v[key] for key in ("type", "enum") if key in v}
                        for k, v in item["properties"].items()
                    },
                }
        operations.append(
            {
                "operationId": operation["operationId"],
                "method": method.upper(),
                "path": path.split("?", 1)[0],
                "api-version": _VERSION.search(version["description"]).group(1),  # type: ignore[union-attr]
                "consumes": operation.get("consumes", []),
                "query": [
                    {k: p[k] for k in ("name", "required", "type", "enum") if k in p}
                    for p in params
                    if p["in"] == "query" and p["name"] != "api-version"
                ],
                "body": body,
            }
        )
    return {
        "source": "MicrosoftDocs/vsts-rest-api-specs specification/wit/7.1/workItemTracking.json "
        "(MIT License, Copyright (c) Microsoft Corporation), operations cibridge boards calls",
        "info": spec["info"]["version"],
        "operations": operations,
    }


def main(argv: list[str]) -> int:
    spec = json.loads(FULL.read_text(encoding="utf-8-sig"))
    text = json.dumps(part(spec), indent=1, sort_keys=True) + "\n"
    if "--check" in argv:
        if PART.read_text(encoding="utf-8") != text:
            print(f"{PART} differs from {FULL}: run scripts/azure_boards_spec.py")
            return 1
        return 0
    PART.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
