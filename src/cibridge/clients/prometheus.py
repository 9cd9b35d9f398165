"""A thin client for the Prometheus HTTP API (``/api/v1/query``, ``/api/v1/query_range``).

It runs on cibridge's transport (deadlines, retries honouring Retry-After, capped bodies,
credentials kept to their origin) rather than a client library: ``prometheus-api-client``
pulls in pandas and numpy for two GET requests. Any answer that is not a successful result
(Prometheus's ``bad_data``/``execution``/``timeout`` errors, a non-JSON page, a refused
login, an unreachable server) raises :class:`QueryError` carrying Prometheus's own words,
so the caller can make it an ``error`` verdict: never a pass, never a rollback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cibridge.core.durations import seconds_text
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.http.refusal import is_redirect, refusal

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Response, Transport

Labels = tuple[tuple[str, str], ...]
# Longer queries go as a POST form (Prometheus accepts both): URLs this long meet proxy and
# server limits. A POST is not retried by the transport, which is fine for one query.
POST_OVER = 2000
_HINTS = {
    "bad_data": "the query is not valid PromQL: fix it in the config (try it in Prometheus's "
    "graph page with the values filled in)",
    "execution": "Prometheus could not evaluate the query (too many series or samples?)",
    "timeout": "the query timed out in Prometheus: simplify it, or raise the timeout",
    "canceled": "Prometheus cancelled the query; try again",
    "unavailable": "Prometheus is not ready (starting, or its storage is busy); try again",
}


_NOT_JSON = "check the URL points at Prometheus's API, not a login page or proxy"
_AUTH = (
    "auth",
    "check the credentials (auth under integrations.prometheus, PROMETHEUS_TOKEN or "
    "PROMETHEUS_PASSWORD) and tenant headers",
)
_NOT_FOUND = (
    "not_found",
    "check the Prometheus URL, including any path prefix (e.g. /prometheus for Mimir)",
)
_REFUSALS = {401: _AUTH, 403: _AUTH, 404: _NOT_FOUND}


class QueryError(Exception):
    """Prometheus did not give a result; ``kind`` is its errorType (or ours)."""

    def __init__(self, message: str, kind: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.hint = hint


@dataclass
class Series:
    labels: Labels
    points: list[tuple[float, float]]  # (unix seconds, value); value may be NaN or ±inf


@dataclass
class Answer:
    series: list[Series]
    warnings: list[str] = field(default_factory=list)


def labels_text(labels: Labels) -> str:
    """``{job="api", code="500"}`` as PromQL shows a series; ``{}`` for none. Values are
    escaped as in PromQL, so a label value cannot start a line of its own in a log."""
    return "{" + ", ".join(f'{key}="{_escape(value)}"' for key, value in labels) + "}"


def _escape(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\n", "\\n").replace("\r", "\\r")


def parse_value(raw: Any) -> float:
    """Prometheus sends values as strings: ``"0.5"``, ``"NaN"``, ``"+Inf"``, ``"-Inf"``;
    anything else is an answer of the wrong shape (an error, never a value)."""
    try:
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            return float(raw)
    except ValueError:
        pass
    raise QueryError(
        excerpt(f"Prometheus sent a value that is not a number: {raw!r}", 200), "bad_response"
    )


class ReloadRefused(CibridgeError):
    """Prometheus answered a reload and refused it: it still runs the rules it had."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message, exit_code=EXIT_FAILURE, hint=hint)


class PrometheusClient:
    def __init__(
        self,
        transport: Transport,
        base_url: str,
        *,
        auth: Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        post_over: int = POST_OVER,
        url_from: str = "",
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.url_from = url_from  # where base_url was set, named when it cannot be reached
        self.auth = auth
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.post_over = post_over

    def instant(self, query: str, at: float | None = None) -> Answer:
        params = {"query": query}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._call("query", params, instant=True)

    def range(self, query: str, start: float, end: float, step: float) -> Answer:
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return self._call("query_range", params)

    def _call(self, endpoint: str, params: dict[str, str], *, instant: bool = False) -> Answer:
        if self.timeout:
            # Prometheus refuses a fraction in a duration ("0.5s"), so milliseconds.
            params["timeout"] = seconds_text(self.timeout)
        url = f"{self.base_url}/api/v1/{endpoint}"
        form = urlencode(params)
        headers = dict(self.headers)
        try:
            if len(url) + len(form) + 1 > self.post_over:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                response = self._send("POST", url, form.encode(), headers)
            else:
                response = self._send("GET", f"{url}?{form}", None, headers)
        except CibridgeError as error:
            if error.exit_code != EXIT_FAILURE:
                raise  # an unusable URL or header: a configuration problem, exit 2
            origin = f" (its URL is from {self.url_from})" if self.url_from else ""
            raise QueryError(
                f"Prometheus is unreachable{origin}: {error.message}",
                "unreachable",
                error.hint or "check the Prometheus URL and that it is up",
            ) from None
        return _answer(response, instant)

    def reload(self) -> None:
        """``POST /-/reload``: Prometheus reads its configuration and rule files again.
        It answers 403 unless started with ``--web.enable-lifecycle``, and 500 naming the
        problem when a file does not load (it then keeps the rules it had): both raise
        :class:`ReloadRefused`. No answer at all raises the transport's error."""
        url = f"{self.base_url}/-/reload"
        response = self._send("POST", url, b"", dict(self.headers))
        hint = "fix what Prometheus names"
        if response.status == 403:
            hint = "start Prometheus with --web.enable-lifecycle, or reload it yourself (SIGHUP)"
        refused = refusal(response, "Prometheus did not reload", hint=hint)
        if refused is not None:
            raise ReloadRefused(refused.message, hint=refused.hint)

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
        read_timeout = None if self.timeout is None else self.timeout + 5
        return self.transport.request(
            method,
            url,
            data=body,
            headers=headers,
            auth=self.auth,
            timeout=read_timeout,
            what="Prometheus",
        )


def _answer(response: Response, instant: bool) -> Answer:
    body = response.json()
    if not isinstance(body, dict) or "status" not in body:
        raise _not_prometheus(response)
    if body.get("status") == "success" and not response.ok:
        # A success body under an error status (a proxy's cached page, a 429): not an answer.
        problem = _not_prometheus(response)
        if problem.kind == "not_json":
            problem = QueryError(
                f"Prometheus answered HTTP {response.status} with a success body, not trusted",
                "http",
                "something in front of Prometheus (a proxy, a rate limiter) answered: check it",
            )
        raise problem
    notes = [body.get("warnings"), body.get("infos")]
    warnings = [excerpt(w, 300) for found in notes if isinstance(found, list) for w in found]
    if body.get("status") != "success":
        kind = str(body.get("errorType") or "error")
        message = excerpt(body.get("error") or "no message", 500)
        raise QueryError(
            f"Prometheus answered HTTP {response.status} {kind}: {message}",
            kind,
            _HINTS.get(kind, "see Prometheus's message"),
        )
    data = body.get("data")
    if not isinstance(data, dict):
        raise QueryError("Prometheus answered success without data", "bad_response")
    if instant and data.get("resultType") == "matrix":
        raise QueryError(
            "the query gives a range vector (it ends in [5m] or similar), not a value per series",
            "bad_result",
            "wrap it in a function such as rate(...) or avg_over_time(...)",
        )
    return Answer(_series(data), warnings)


def _not_prometheus(response: Response) -> QueryError:
    """An answer without Prometheus's JSON: a refusal when its status is one, each kind with
    what to check."""
    kind, hint = _REFUSALS.get(response.status) or (
        ("redirect", "update the URL") if is_redirect(response) else ("not_json", _NOT_JSON)
    )
    refused = refusal(response, "Prometheus query", hint=hint, limit=200)
    if refused is None:
        return QueryError(
            f"the answer (HTTP {response.status}) is not Prometheus's JSON: "
            f"{response.excerpt(200)}",
            "not_json",
            _NOT_JSON,
        )
    return QueryError(refused.message, kind, refused.hint)


def _labels(metric: Any) -> Labels:
    if not isinstance(metric, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in metric.items()))


def _point(pair: Any) -> tuple[float, float]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise QueryError(
            excerpt(f"Prometheus sent a sample that is not [time, value]: {pair!r}", 200),
            "bad_response",
        )
    when = parse_value(pair[0])
    if not math.isfinite(when):
        raise QueryError(
            excerpt(f"Prometheus sent a sample time that is no time: {pair!r}", 200),
            "bad_response",
        )
    return when, parse_value(pair[1])


def _series(data: dict[str, Any]) -> list[Series]:
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        return [Series((), [_point(result)])]
    if not isinstance(result, list):
        raise QueryError(f"Prometheus sent a {kind!r} result that is not a list", "bad_response")
    items = [item if isinstance(item, dict) else {} for item in result]
    if kind == "vector":
        return [Series(_labels(item.get("metric")), [_point(item.get("value"))]) for item in items]
    if kind == "matrix":
        return [
            Series(_labels(item.get("metric")), [_point(p) for p in item.get("values") or []])
            for item in items
        ]
    raise QueryError(
        f"the query gives a {kind!r}, not a number per series",
        "bad_result",
        "write a query that returns an instant vector or a scalar",
    )
