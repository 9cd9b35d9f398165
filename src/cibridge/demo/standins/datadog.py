"""Datadog: the v2 timeseries query API, DORA deployment and failure events, v1 monitors.

Keys are read from the ``DD-API-KEY`` / ``DD-APPLICATION-KEY`` headers only, as Datadog
reads them; a wrong or missing key is Datadog's ``403 {"errors": ["Forbidden"]}``. Bodies
are checked by the official client's own models (``datadog-api-client``, a test extra) when
it is installed, and always by the rules here that those models let through (the request
``type``, a ``query`` in every query, unknown attributes). Errors are Datadog's shape:
``{"errors": ["..."]}``; a throttled request gets a 429 with the ``X-RateLimit-*`` headers.

Series are scripted per query: ``series[query] = lambda t: {("host:a",): 0.5}`` gives each
group's value for the bucket starting at ``t``. Buckets are aligned to the interval, as
Datadog aligns them, and the bucket still filling at the stand-in's clock holds only its
share of the points (a counter's newest bucket reads low, like Datadog's).
"""

from __future__ import annotations

import importlib
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from cibridge.demo.standins.server import Answer, Behaviour, Request

DATADOG_API_KEY = "standin-dd-api-key-0123456789abcdef"  # a stand-in's own key
DATADOG_APP_KEY = "standin-dd-app-key-fedcba9876543210"  # a stand-in's own key
Script = Callable[[float], dict[tuple[str, ...], float | None]]
# aggregator:metric{scope}, optionally "by {tags}" and trailing functions (.as_rate() …).
_QUERY = re.compile(
    r"\s*(avg|sum|min|max|count):[A-Za-z][\w.]*\{[^{}]*\}(\s*by\s*\{[\w.:/\-, ]+\})?"
    r"(\.\w+\([^()]*\))*\s*"
)
# time_aggr(last_#m):<metrics query> <operator> <number>, the metric monitor's form.
_MONITOR_QUERY = re.compile(
    r"(avg|sum|min|max)\(last_(\d+)m\):(.+?)\s*(?:>=|<=|>|<|==|!=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
)
MAX_POINTS = 1500  # per series (Datadog's documented limit on a graph's points)
_TIMESERIES_KEYS = {"from", "to", "interval", "queries", "formulas"}
_DORA_ID = re.compile(r"[A-Za-z0-9_.:-]{16,128}")


def _errors(status: int, *messages: str) -> Answer:
    return Answer(status, {"errors": list(messages)})


def _model_errors(body: Any, model: str) -> str:
    """What datadog-api-client's model of the request refuses ("" when it parses, or when
    the client is not installed: the demo runs without test extras)."""
    try:
        configuration: Any = importlib.import_module("datadog_api_client.configuration")
        utils: Any = importlib.import_module("datadog_api_client.model_utils")
    except ImportError:
        return ""
    module, _dot, name = model.rpartition(".")
    kind = getattr(importlib.import_module(f"datadog_api_client.{module}"), name)
    try:
        utils.validate_and_convert_types(
            body, (kind,), ["body"], True, True, configuration.Configuration()
        )
    except Exception as error:  # the models raise several unrelated types: each is a 400
        return str(error)[:300]
    return ""


class Datadog:
    name = "datadog"
    prefix = "/datadog"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour
        self.series: dict[str, Script] = {}
        self.clock: Callable[[], float] = time.time
        self.throttle_next = 0  # answer this many requests with 429
        self.reset_after = "2"  # X-RateLimit-Reset of those answers
        self.error_in_200 = ""  # answer queries 200 with this in "errors"
        self.fail_next: list[int] = []  # statuses to answer the next requests with
        self.deployments: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.monitors: dict[int, dict[str, Any]] = {}
        self._next_monitor = 1000
        self.referenced: set[int] = set()  # monitors a composite uses: DELETE refuses them
        self._lock = threading.Lock()

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "DATADOG_API_URL": f"{base_url}/datadog",
            "DD_API_KEY": DATADOG_API_KEY,
            "DD_APP_KEY": DATADOG_APP_KEY,
        }

    def handle(self, request: Request) -> Answer:
        path = request.path.removeprefix(self.prefix)
        with self._lock:
            if self.throttle_next:
                self.throttle_next -= 1
                return Answer(
                    429,
                    {"errors": ["Too many requests"]},
                    {
                        "X-RateLimit-Limit": "1600",
                        "X-RateLimit-Period": "3600",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": self.reset_after,
                        "X-RateLimit-Name": "query_timeseries",
                    },
                )
            if self.fail_next:
                status = self.fail_next.pop(0)
                return _errors(status, "Internal Server Error" if status >= 500 else "Bad Request")
        if "api_key" in request.query or "application_key" in request.query:
            return _errors(
                400, "API and application keys go in the DD-API-KEY and DD-APPLICATION-KEY headers"
            )
        headers = {name.lower(): value for name, value in request.headers.items()}
        if headers.get("dd-api-key") != DATADOG_API_KEY:
            return _errors(403, "Forbidden")
        needs_app_key = not path.startswith("/api/v2/dora/")
        if needs_app_key and headers.get("dd-application-key") != DATADOG_APP_KEY:
            return _errors(403, "Forbidden")
        try:
            body = request.json() if request.raw else None
        except ValueError:
            return _errors(400, "Invalid JSON")
        if request.method == "POST" and path == "/api/v2/query/timeseries":
            return self._timeseries(body)
        if request.method == "POST" and path in ("/api/v2/dora/deployment", "/api/v2/dora/failure"):
            return self._dora(path.rsplit("/", 1)[1], body)
        if path.startswith("/api/v1/monitor"):
            return self._monitor(request, path, body)
        return _errors(404, "Not found")

    # -- queries ----------------------------------------------------------------------

    def _timeseries(self, body: Any) -> Answer:
        problem = _model_errors(
            body, "v2.model.timeseries_formula_query_request.TimeseriesFormulaQueryRequest"
        )
        if problem:
            return _errors(400, problem)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "timeseries_request":
            return _errors(400, "invalid type: data.type must be timeseries_request")
        attributes = data.get("attributes")
        if not isinstance(attributes, dict):
            return _errors(400, "data.attributes is required")
        unknown = set(attributes) - _TIMESERIES_KEYS
        if unknown:
            return _errors(400, f"unknown attribute(s): {', '.join(sorted(unknown))}")
        start, end, interval = (attributes.get(k) for k in ("from", "to", "interval"))
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, interval)):
            return _errors(400, "from, to and interval must be integers (milliseconds)")
        assert isinstance(start, int) and isinstance(end, int) and isinstance(interval, int)
        if start >= end or interval <= 0:
            return _errors(400, "'from' must be before 'to', and interval positive")
        queries = attributes.get("queries")
        if not isinstance(queries, list) or len(queries) != 1:
            return _errors(400, "this stand-in answers exactly one query")
        query = queries[0]
        if not isinstance(query, dict) or query.get("data_source") != "metrics":
            return _errors(400, "queries[0].data_source must be metrics")
        text = query.get("query")
        if not isinstance(text, str) or not _QUERY.fullmatch(text):
            return _errors(400, f"Error parsing query: {str(text)[:100]}")
        if self.error_in_200:
            return Answer(
                200,
                {
                    "data": {"type": "timeseries_response", "attributes": {}},
                    "errors": self.error_in_200,
                },
            )
        return Answer(200, self._answer(text, start, end, interval))

    def _answer(self, text: str, start: int, end: int, interval: int) -> dict[str, Any]:
        if (end - start) / interval > MAX_POINTS:
            # "May be overridden by a larger interval if the query would result in too
            # many points" (the v2 description); whole seconds, as Datadog's rollups are.
            interval = -(-(end - start) // MAX_POINTS // 1000) * 1000
        script = self.series.get(text.strip())
        now_ms = self.clock() * 1000
        first = start - start % interval
        times = list(range(first, end, interval))
        groups: dict[tuple[str, ...], list[float | None]] = {}
        for index, at in enumerate(times):
            if script is None or at > now_ms:
                continue
            share = min(1.0, (now_ms - at) / interval)
            for tags, value in script(at / 1000).items():
                row = groups.setdefault(tags, [None] * len(times))
                row[index] = None if value is None else value * share
        series = [{"group_tags": list(tags), "query_index": 0, "unit": None} for tags in groups]
        return {
            "data": {
                "type": "timeseries_response",
                "attributes": {"series": series, "times": times, "values": list(groups.values())},
            }
        }

    # -- DORA -------------------------------------------------------------------------

    def _dora(self, kind: str, body: Any) -> Answer:
        model = {
            "deployment": "v2.model.dora_deployment_request.DORADeploymentRequest",
            "failure": "v2.model.dora_failure_request.DORAFailureRequest",
        }[kind]
        problem = _model_errors(body, model)
        if problem:
            return _errors(400, problem)
        data = body.get("data") if isinstance(body, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attributes, dict):
            return _errors(400, "data.attributes is required")
        required = (
            ("service", "started_at", "finished_at") if kind == "deployment" else ("started_at",)
        )
        missing = [key for key in required if key not in attributes]
        if kind == "failure" and not (attributes.get("services") or attributes.get("team")):
            missing.append("services or team")
        if missing:
            return _errors(400, f"missing required field(s): {', '.join(missing)}")
        identity = attributes.get("id")
        if identity is not None and not (
            isinstance(identity, str) and _DORA_ID.fullmatch(identity)
        ):
            return _errors(400, "id must be 16-128 characters of a-z, A-Z, 0-9, -, _, ., :")
        git = attributes.get("git")
        if git is not None and not (
            isinstance(git, dict) and git.get("commit_sha") and git.get("repository_url")
        ):
            return _errors(400, "git needs commit_sha and repository_url")
        store = self.deployments if kind == "deployment" else self.failures
        with self._lock:
            same = [item for item in store if identity and item.get("id") == identity]
            if same:
                same[0].update(attributes)  # Datadog: the same id updates the event
            else:
                store.append(dict(attributes))
        event_id = identity or f"standin-{kind}-{len(store)}"
        return Answer(202, {"data": {"id": event_id, "type": f"dora_{kind}"}})

    # -- monitors ---------------------------------------------------------------------

    def _monitor(self, request: Request, path: str, body: Any) -> Answer:
        found = re.fullmatch(r"/api/v1/monitor(?:/(\d+))?", path)
        if not found:
            return _errors(404, "Not found")
        number = int(found.group(1)) if found.group(1) else None
        with self._lock:
            if request.method == "GET" and number is None:
                wanted = [tag for tag in request.query.get("monitor_tags", "").split(",") if tag]
                listed = [m for m in self.monitors.values() if all(t in m["tags"] for t in wanted)]
                return Answer(200, listed)
            if request.method == "POST" and number is None:
                problem = _monitor_errors(body)
                if problem:
                    return _errors(400, problem)
                self._next_monitor += 1
                monitor = _stored({**body, "id": self._next_monitor})
                self.monitors[self._next_monitor] = monitor
                return Answer(200, monitor)
            if number is None or number not in self.monitors:
                return _errors(404, "Monitor not found")
            if request.method == "PUT":
                problem = _model_errors(
                    body, "v1.model.monitor_update_request.MonitorUpdateRequest"
                )
                problem = problem or _monitor_errors({**self.monitors[number], **(body or {})})
                if problem:
                    return _errors(400, problem)
                self.monitors[number] = _stored({**self.monitors[number], **(body or {})})
                return Answer(200, self.monitors[number])
            if request.method == "DELETE":
                if number in self.referenced:
                    return _errors(400, f"monitor {number} is referenced in a composite monitor")
                del self.monitors[number]
                return Answer(200, {"deleted_monitor_id": number})
        return _errors(405, "Method not allowed")


def _monitor_errors(body: Any) -> str:
    problem = _model_errors(body, "v1.model.monitor.Monitor")
    if problem:
        return problem
    if not isinstance(body, dict):
        return "the body must be a monitor object"
    missing = [key for key in ("type", "query") if not body.get(key)]
    if missing:
        return f"missing required field(s): {', '.join(missing)}"
    if body["type"] not in ("metric alert", "query alert"):
        return f"unsupported monitor type {body['type']!r} in this stand-in"
    query = str(body["query"])
    found = _MONITOR_QUERY.fullmatch(query)
    if not found or int(found.group(2)) > 10080 or not _QUERY.fullmatch(found.group(3)):
        return f"The value provided for parameter 'query' is invalid: {query[:80]}"
    critical = ((body.get("options") or {}).get("thresholds") or {}).get("critical")
    if critical is not None and float(critical) != float(found.group(4)):
        # Datadog's wording (DataDog/datadog-operator#2106, terraform-provider-datadog#1410)
        return (
            f"Alert threshold ({critical}) does not match that used in the query "
            f"({found.group(4)})."
        )
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return "tags must be a list of strings"
    return ""


def _stored(monitor: dict[str, Any]) -> dict[str, Any]:
    """A monitor as Datadog keeps and echoes it: with its own fields and option defaults,
    thresholds as numbers."""
    options = {"notify_audit": False, "silenced": {}, **(monitor.get("options") or {})}
    thresholds = options.get("thresholds") or {}
    options["thresholds"] = {k: float(v) for k, v in thresholds.items()}
    return {
        "overall_state": "No Data",
        "created": "2026-12-03T00:00:00.000000+00:00",
        "multi": " by " in str(monitor.get("query", "")),
        **monitor,
        "options": options,
    }


def datadog_of(stand_ins: Any) -> Datadog:
    """The Datadog among a StandIns' services."""
    for service in stand_ins.services:
        if isinstance(service, Datadog):
            return service
    raise LookupError("these stand-ins have no Datadog")
