"""A thin client for the Datadog API: metric queries (v2), DORA events (v2), monitors (v1).

Queries go to ``POST /api/v2/query/timeseries`` rather than ``/query/scalar``: the gate has
to see the buckets, because the newest one of a window ending now is still filling (Flagger
#1762 evaluated it and saw counters drop), and only a timeseries answer says which bucket a
value belongs to. The keys travel in the ``DD-API-KEY`` / ``DD-APPLICATION-KEY`` headers
only (as an auth object, so they are dropped if a redirect leaves Datadog's origin).

Every answer that is not a result raises :class:`QueryError` with Datadog's own words
(``{"errors": [...]}``), including an ``errors`` string inside a 200. A 429 waits for
``X-RateLimit-Reset`` (at most the transport's ``max_wait``) and tries once more; a second
429 is an error naming the limit (``X-RateLimit-Name``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.clients.prometheus import Labels, QueryError
from cibridge.core import redact
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.http.auth import Auth

if TYPE_CHECKING:
    from cibridge.http.transport import Response, Transport

# DD_SITE values (https://docs.datadoghq.com/getting_started/site/) and short names for them.
SITES = {
    "datadoghq.com": "datadoghq.com",
    "us1": "datadoghq.com",
    "us3": "us3.datadoghq.com",
    "us3.datadoghq.com": "us3.datadoghq.com",
    "us5": "us5.datadoghq.com",
    "us5.datadoghq.com": "us5.datadoghq.com",
    "ap1": "ap1.datadoghq.com",
    "ap1.datadoghq.com": "ap1.datadoghq.com",
    "ap2": "ap2.datadoghq.com",
    "ap2.datadoghq.com": "ap2.datadoghq.com",
    "uk1": "uk1.datadoghq.com",
    "uk1.datadoghq.com": "uk1.datadoghq.com",
    "datadoghq.eu": "datadoghq.eu",
    "eu1": "datadoghq.eu",
    "ddog-gov.com": "ddog-gov.com",
    "us2.ddog-gov.com": "us2.ddog-gov.com",
}
_FATAL_STATUS = {400: "bad_data", 401: "auth", 403: "auth", 404: "not_found"}
_HINTS = {
    "bad_data": "Datadog refused the query: try it in a Datadog notebook with the values filled in",
    "auth": "check DD_API_KEY and DD_APP_KEY (api_key_ref / app_key_ref): the application "
    "key needs the timeseries_query scope, and both must belong to the site configured",
    "not_found": "check the Datadog site or url (a proxy path?)",
    "redirect": "Datadog's API answers without redirects: set the url to the API base itself "
    "(the keys are never sent on to the address a redirect names)",
    "unavailable": "Datadog could not answer now; later observations try again",
    "rate_limited": "Datadog's rate limit for this key: run fewer checks at once, or "
    "lengthen their interval",
}


class DatadogKeys(Auth):
    """The API key, and the application key when there is one, each in its header."""

    def __init__(self, api_key: str, app_key: str = "") -> None:
        redact.register(api_key)
        redact.register(app_key)
        self._api_key = api_key
        self._app_key = app_key

    def headers(self) -> dict[str, str]:
        sent = {"DD-API-KEY": self._api_key}
        if self._app_key:
            sent["DD-APPLICATION-KEY"] = self._app_key
        return sent

    def __repr__(self) -> str:
        return "DatadogKeys(***)"


@dataclass
class Buckets:
    """One query's answer: per group, its bucket start times and values (None: no data)."""

    bucket: float  # seconds, as Datadog answered (it may widen a requested interval)
    groups: list[tuple[Labels, list[tuple[float, float | None]]]]


def api_base(site: str) -> str:
    return f"https://api.{SITES[site]}"


def labels_of(tags: Any) -> Labels:
    """``["host:a", "env:prod"]`` as labels; a tag without a value keeps an empty one."""
    if not isinstance(tags, list):
        return ()
    pairs = (str(tag).partition(":") for tag in tags)
    return tuple(sorted((key, value) for key, _colon, value in pairs))


class DatadogClient:
    def __init__(
        self,
        transport: Transport,
        base_url: str,
        keys: DatadogKeys,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        url_from: str = "",
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.url_from = url_from

    def timeseries(self, query: str, start: float, end: float, bucket: float) -> Buckets:
        """The query over [start, end) in buckets of ``bucket`` seconds."""
        body = {
            "data": {
                "type": "timeseries_request",
                "attributes": {
                    "from": int(start * 1000),
                    "to": int(end * 1000),
                    "interval": int(bucket * 1000),
                    "queries": [{"data_source": "metrics", "query": query, "name": "a"}],
                    "formulas": [{"formula": "a"}],
                },
            }
        }
        response = self._query("/api/v2/query/timeseries", body)
        return _buckets(response, bucket)

    def send(self, method: str, path: str, body: Any, what: str) -> Any:
        """A write (DORA events, monitors): the decoded answer, or an exit-1 failure with
        Datadog's own message."""
        try:
            response = self._send(method, path, body, what)
        except CibridgeError as error:
            raise self._unreachable(error, what) from None
        if response.status == 429:
            response = self._after_limit(response, lambda: self._send(method, path, body, what))
        if not response.ok:
            kind = _FATAL_STATUS.get(response.status, "unavailable")
            raise CibridgeError(
                f"{what}: Datadog answered HTTP {response.status}: {_errors(response)}",
                exit_code=EXIT_FAILURE,
                hint=_HINTS.get(kind, "") if response.status != 400 else "",
            )
        return response.json()

    def _query(self, path: str, body: Any) -> Response:
        what = "Datadog query"
        try:
            response = self._send("POST", path, body, what)
            if response.status == 429:
                response = self._after_limit(response, lambda: self._send("POST", path, body, what))
        except CibridgeError as error:
            raise self._query_error(error) from None
        if response.ok:
            return response
        if response.status == 429:
            limit = response.headers.get("x-ratelimit-name", "") or "unnamed"
            raise QueryError(
                f"Datadog's rate limit {excerpt(limit, 80)!r} was still reached after waiting "
                f"{_reset(response):g}s for it to reset",
                "rate_limited",
                _HINTS["rate_limited"],
            )
        kind = _FATAL_STATUS.get(response.status)
        if kind is None and 300 <= response.status < 400:
            kind = "redirect"
        if kind is None:
            kind = "unavailable" if response.status >= 500 else "http"
        said = _errors(response)
        if kind == "redirect":
            said = f"a redirect to {excerpt(response.headers.get('location', '') or '?', 200)}"
        raise QueryError(
            f"Datadog answered HTTP {response.status}: {said}",
            kind,
            _HINTS.get(kind, "see Datadog's message"),
        )

    def _after_limit(self, response: Response, again: Any) -> Response:
        """Wait for the limit to reset, then one more try; a reset beyond ``max_wait`` is
        not waited for (the answer stays the 429)."""
        wait = _reset(response)
        if wait > self.transport.settings.max_wait:
            return response
        self.transport.sleep(wait)
        answer: Response = again()
        return answer

    def _send(self, method: str, path: str, body: Any, what: str) -> Response:
        read_timeout = None if self.timeout is None else self.timeout
        return self.transport.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            headers=self.headers,
            auth=self.keys,
            timeout=read_timeout,
            what=what,
        )

    def _unreachable(self, error: CibridgeError, what: str) -> CibridgeError:
        if error.exit_code != EXIT_FAILURE:
            return error  # an unusable URL or header: a configuration problem, exit 2
        origin = f" (its URL is from {self.url_from})" if self.url_from else ""
        return CibridgeError(
            f"{what}: Datadog is unreachable{origin}: {error.message}",
            exit_code=EXIT_FAILURE,
            hint=error.hint or "check the Datadog site or url",
        )

    def _query_error(self, error: CibridgeError) -> Exception:
        problem = self._unreachable(error, "Datadog query")
        if problem.exit_code != EXIT_FAILURE:
            return problem
        return QueryError(problem.message, "unreachable", problem.hint)


def _reset(response: Response) -> float:
    """``X-RateLimit-Reset``: seconds until the limit resets (1 when missing or unreadable)."""
    try:
        seconds = float(response.headers.get("x-ratelimit-reset", "1"))
    except ValueError:
        return 1.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 1.0


def _errors(response: Response) -> str:
    """Datadog's ``{"errors": ["..."]}``, one line; else an excerpt of the body."""
    body = response.json()
    found = body.get("errors") if isinstance(body, dict) else None
    if isinstance(found, list) and found:
        return excerpt("; ".join(str(item) for item in found), 500)
    if isinstance(found, str) and found:
        return excerpt(found, 500)
    return response.excerpt(200) or "no message"


def _bad(what: str) -> QueryError:
    return QueryError(excerpt(f"Datadog sent {what}", 300), "bad_response")


def _buckets(response: Response, asked: float) -> Buckets:
    body = response.json()
    if not isinstance(body, dict):
        raise QueryError(
            f"the answer (HTTP {response.status}) is not Datadog's JSON: {response.excerpt(200)}",
            "not_json",
            "check the Datadog site or url points at Datadog's API, not a proxy's page",
        )
    if body.get("errors"):
        # Datadog reports a query it could not run inside a 200 as well.
        raise QueryError(
            f"Datadog answered HTTP {response.status} with an error: {_errors(response)}",
            "bad_data",
            _HINTS["bad_data"],
        )
    attributes = (
        (body.get("data") or {}).get("attributes") if isinstance(body.get("data"), dict) else None
    )
    if not isinstance(attributes, dict):
        raise _bad(f"an answer without data.attributes: {response.excerpt(200)}")
    times, values, series = (
        [] if attributes.get(key) is None else attributes[key]
        for key in ("times", "values", "series")
    )
    if not (isinstance(times, list) and isinstance(values, list) and isinstance(series, list)):
        raise _bad("times, values or series that are not lists")
    if len(values) != len(series):
        raise _bad(f"{len(values)} value lists for {len(series)} series")
    stamps = [_seconds(_number(at, "a time")) for at in times]
    groups = []
    for item, points in zip(series, values, strict=True):
        if not isinstance(points, list) or len(points) != len(stamps):
            raise _bad("a value list that does not match the times")
        labels = labels_of(item.get("group_tags") if isinstance(item, dict) else None)
        row = [
            (at, None if value is None else _number(value, "a value"))
            for at, value in zip(stamps, points, strict=True)
        ]
        groups.append((labels, row))
    spacing = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    bucket = max([asked, *spacing]) if spacing else asked
    return Buckets(bucket, groups)


def _seconds(stamp: float) -> float:
    """Datadog answers milliseconds; the published schema says seconds. A time after
    5138 in seconds is milliseconds (1e11 ms is 1973), so both read right."""
    return stamp / 1000 if stamp > 1e11 else stamp


def _number(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _bad(f"{what} that is not a number: {raw!r}")
    return float(raw)
