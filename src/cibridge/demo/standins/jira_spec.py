"""Checking requests against Atlassian's own descriptions of the API.

Every ``/rest/api/3`` request is validated with openapi-core against the published Jira
Cloud platform OpenAPI document, and every v3 comment body against the published ADF
JSON schema, when the stand-ins are given the folder that holds them (the test suite
passes its fixtures; openapi-core comes with the test extras). The demo runs from a wheel
without either, and then only the stand-in's own checks apply.

The OpenAPI document is 2.3 MB: it is parsed once per process, under a lock, and the time
that takes (and what each validation costs) is kept in :data:`TIMINGS`.
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

DOCUMENTS = {
    "platform": "jira-platform-v3.openapi.json",
    "software": "jira-software-v3.openapi.json",  # the Deployments API
    "adf": "adf-v1-full.schema.json",
}
SERVER = "https://your-domain.atlassian.net"  # the spec's only server; paths match under it
SERVERS = {"platform": SERVER, "software": "https://your-domain.atlassian.com"}


@dataclass
class Timings:
    parse: float | None = None  # seconds to import openapi-core and load the document, once
    validations: int = 0
    total: float = 0.0
    first: float | None = None  # the first validation also builds openapi-core's caches
    slowest: float = 0.0

    def add(self, seconds: float) -> None:
        if self.first is None:
            self.first = seconds
        self.validations += 1
        self.total += seconds
        self.slowest = max(self.slowest, seconds)


TIMINGS = Timings()
_lock = threading.Lock()
# (folder, "platform" / "software" / "adf") -> the parsed validator, or None if absent
_loaded: dict[tuple[Path, str], Any] = {}


class _SpecRequest:
    """An HTTP request as openapi-core's ``Request`` protocol describes one."""

    def __init__(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        raw: bytes,
        host_url: str = SERVER,
    ) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.body: bytes | None = raw or None
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        self.content_type = (kind or "application/json").lower()
        args = [(k, v) for k, values in parse_qs(query).items() for v in values]
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(args), header=Headers(list(headers.items()))
        )


def _openapi(folder: Path, name: str = "platform") -> Any:
    with _lock:
        if (folder, name) not in _loaded:
            _loaded[folder, name] = None
            started = time.perf_counter()  # importing openapi-core is part of the cost
            try:
                from openapi_core import Config, OpenAPI
            except ImportError:  # the demo without the test extras
                return None
            document = folder / DOCUMENTS[name]
            if not document.is_file():
                return None
            spec = json.loads(document.read_bytes())
            # The published document fails openapi-spec-validator (a default of the wrong
            # type), so the document itself is trusted and only requests are validated.
            # None is openapi-core's documented way to skip that check; its stubs omit it.
            config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
            _loaded[folder, name] = OpenAPI.from_dict(spec, config=config)
            if name == "platform":
                TIMINGS.parse = time.perf_counter() - started
        return _loaded[folder, name]


def spec_problems(
    folder: Path | None,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    raw: bytes,
    document: str = "platform",
) -> list[str] | None:
    """What the OpenAPI document (``platform``, or ``software`` for the Deployments API) says
    is wrong with a request (``path`` as the document writes it); None when the document is
    not available (no folder given, or not in it)."""
    api = _openapi(folder, document) if folder is not None else None
    if api is None:
        return None
    request = _SpecRequest(method, path, query, headers, raw, SERVERS[document])
    started = time.perf_counter()
    with warnings.catch_warnings():
        # openapi-core warns once per request about the OAuth2 scheme it cannot check;
        # the stand-in checks credentials itself.
        warnings.simplefilter("ignore")
        errors = list(api.iter_request_errors(request))
    TIMINGS.add(time.perf_counter() - started)
    return [_describe(error) for error in errors]


def _describe(error: BaseException) -> str:
    """One line naming the problem: the deepest schema errors with their JSON paths."""
    parts = [str(error)]
    cause: BaseException | None = error
    while cause is not None:
        for schema_error in getattr(cause, "schema_errors", None) or ():
            where = ".".join(str(p) for p in schema_error.absolute_path)
            parts.append(f"body{'.' + where if where else ''}: {schema_error.message}")
        if cause is not error and not getattr(cause, "schema_errors", None):
            parts.append(str(cause))
        cause = cause.__cause__
    if len(parts) > 1 and "not valid for schema" in parts[0]:
        parts = parts[1:]  # the schema errors say it better than the repr of the whole body
    return "; ".join(dict.fromkeys(p for p in parts if p))


def _adf_validator(folder: Path) -> Any:
    with _lock:
        if (folder, "adf") not in _loaded:
            _loaded[folder, "adf"] = None
            schema_file = folder / DOCUMENTS["adf"]
            if schema_file.is_file():
                from jsonschema import validators

                schema = json.loads(schema_file.read_bytes())
                _loaded[folder, "adf"] = validators.validator_for(schema)(schema)
        return _loaded[folder, "adf"]


def adf_problems(folder: Path | None, document: Any) -> list[str]:
    """Why ``document`` is not ADF: against the published schema when it is given, else by
    the structure every ADF document has."""
    validator = _adf_validator(folder) if folder is not None else None
    if validator is not None:
        return [error.message for error in validator.iter_errors(document)]
    if not isinstance(document, dict):
        return ["not an object"]
    problems = []
    if document.get("type") != "doc" or document.get("version") != 1:
        problems.append('the root must be {"type": "doc", "version": 1}')
    content = document.get("content")
    if not isinstance(content, list) or not all(
        isinstance(node, dict) and isinstance(node.get("type"), str) for node in content
    ):
        problems.append("content must be a list of nodes with a type")
    elif any(node.get("type") == "text" for node in content):
        problems.append("text nodes must sit inside a block node such as a paragraph")
    return problems
