"""The HTTP layer every integration uses.

Built on the standard library rather than ``requests``: importing ``requests`` alone costs
about as much as a whole notify run, and a notify step runs in every job. Proxies come
from ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (urllib reads them); a custom CA bundle
from ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` or ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import json as jsonlib
import os
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from cibridge import __version__, log, redact
from cibridge.errors import CibridgeError, failure

USER_AGENT = f"cibridge/{__version__}"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_ALWAYS = frozenset({429})
RETRY_IDEMPOTENT = frozenset({500, 502, 503, 504})
DEFAULT_TIMEOUT = 15.0


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _max_wait() -> float:
    return float(os.environ.get("CIBRIDGE_HTTP_MAX_WAIT", "60"))


def _retries() -> int:
    return int(os.environ.get("CIBRIDGE_HTTP_RETRIES", "3"))


def _ssl_context() -> ssl.SSLContext:
    bundle = next(
        (
            os.environ[name]
            for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
            if os.environ.get(name)
        ),
        None,
    )
    return ssl.create_default_context(cafile=bundle)


def retry_after(headers: dict[str, str]) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    import email.utils  # only for the rare HTTP-date form

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(attempt: int) -> float:
    import random

    base: float = min(8.0, 0.5 * (2**attempt))
    return base * (0.5 + random.random() / 2)


def request(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> Response:
    """Send one request, retrying what is safe to retry; HTTP errors are returned, not raised.

    ``what`` names the integration in error messages ("Slack", "DingTalk").
    """
    body = data
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if json is not None:
        body = jsonlib.dumps(json, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json; charset=utf-8"
    all_headers.update(headers or {})
    label = what or "request"
    attempts = 1 + max(0, _retries())
    # A fresh opener reads HTTPS_PROXY/NO_PROXY now; urlopen's global one caches them.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(),
        urllib.request.HTTPSHandler(context=_ssl_context() if url.startswith("https:") else None),
    )
    for attempt in range(attempts):
        started = time.monotonic()
        wait: float | None = None
        try:
            req = urllib.request.Request(url, data=body, headers=all_headers, method=method)  # noqa: S310
            with opener.open(req, timeout=timeout) as raw:
                response = Response(raw.status, raw.read(), _lower(raw.headers), url)
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.read(), _lower(error.headers), url)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            refused = isinstance(reason, ConnectionRefusedError)
            if attempt + 1 < attempts and (method in IDEMPOTENT or refused):
                log.debug(f"{label}: {method} {url}: {reason}; retrying")
                time.sleep(backoff(attempt))
                continue
            raise _unreachable(label, method, url, reason, timeout) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug(f"{label}: {method} {url} -> {response.status} ({elapsed:.0f} ms)")
        retryable = response.status in RETRY_ALWAYS or (
            response.status in RETRY_IDEMPOTENT and method in IDEMPOTENT
        )
        if not retryable or attempt + 1 >= attempts:
            return response
        asked = retry_after(response.headers)
        wait = backoff(attempt) if asked is None else asked
        if wait > _max_wait():
            log.debug(f"{label}: Retry-After {wait:.0f}s is over the {_max_wait():.0f}s bound")
            return response
        log.debug(f"{label}: HTTP {response.status}; retrying in {wait:.1f}s")
        time.sleep(wait)
    raise AssertionError("unreachable")


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()} if headers else {}


def _unreachable(
    label: str, method: str, url: str, reason: object, timeout: float
) -> CibridgeError:
    shown = origin(url)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return failure(
            f"{label}: {method} {shown} timed out after {timeout:g}s",
            hint="check that the service is up and reachable from the runner",
        )
    if isinstance(reason, ssl.SSLError):
        return failure(
            f"{label}: TLS error talking to {shown}: {reason}",
            hint="for a private CA set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its bundle",
        )
    return failure(
        f"{label}: cannot reach {shown}: {redact.redact(str(reason))}",
        hint="check the URL, DNS and HTTPS_PROXY/NO_PROXY for this runner",
    )


def origin(url: str) -> str:
    """``scheme://host[:port]`` only: a webhook's path, query and user info are its secret."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def ensure_url(url: str, where: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise CibridgeError(
            f"{where}: {redact.redact(url)!r} is not an http(s) URL",
            hint="copy the full URL, including https://",
        )
    return url
