"""The requests/urllib3 side of the transport: cibridge's retry policy, connections
watched against the per-attempt deadline, and the session they make up.

Imported by ``cibridge.http.transport`` on the first request only; ``requests`` and urllib3 are
imported inside ``_classes``, so importing this module does not load them either.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cibridge.core import isotime, log
from cibridge.http.call import IDEMPOTENT, Call, current_call

if TYPE_CHECKING:
    import requests

    from cibridge.http.settings import HttpSettings

RETRY_ALWAYS = frozenset({429})
RETRY_IDEMPOTENT = frozenset({500, 502, 503, 504})


def reset_wait(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds until an ``X-RateLimit-Reset`` time (ISO 8601, as Jira Cloud sends it with a
    429), for answers that carry no usable Retry-After; None when absent or unreadable."""
    reset = isotime.parse(value) if value else None
    if reset is None:
        return None
    return max(0.0, (reset - (now or datetime.now(timezone.utc))).total_seconds())


def says_wait_in_body(status: int, headers: Any) -> bool:
    """A 429 whose headers name no wait but whose body is JSON, which may (Discord's
    ``retry_after``, Telegram's ``parameters.retry_after``). ``headers``: urllib3's or the
    transport's (lower-case names)."""

    def header(name: str) -> str:
        return str(headers.get(name) or headers.get(name.lower()) or "")

    no_wait = not header("Retry-After") and not header("X-RateLimit-Reset")
    return status == 429 and no_wait and "json" in header("Content-Type").lower()


def body_wait(data: Any) -> float | None:
    """The seconds a 429's JSON body asks to wait: Discord's ``retry_after`` (a float) or
    Telegram's ``parameters.retry_after``; None when it names none."""
    if not isinstance(data, dict):
        return None
    parameters = data.get("parameters")
    value = data.get("retry_after")
    if value is None and isinstance(parameters, dict):
        value = parameters.get("retry_after")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)


def backoff(attempt: int, jitter: float) -> float:
    """The wait before retry ``attempt`` (0 for the first): doubling from half a second up
    to eight, spread by ``jitter`` in [0, 1) so clients that failed together part."""
    return min(8.0, 0.5 * 2.0 ** max(attempt, 0)) * (0.5 + jitter / 2)


def new_session(settings: HttpSettings) -> requests.Session:
    session_class, adapter_class, policy_class = _classes()
    session = session_class()
    # Proxies and CA bundles come from HttpSettings; trust_env would read os.environ
    # (and ~/.netrc) behind the caller's back.
    session.trust_env = False
    retries = settings.retries
    policy = policy_class(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,  # a TLS verification failure will not pass on a second try
        redirect=False,
        allowed_methods=IDEMPOTENT,  # read errors: only these may have been half-done safely
        raise_on_status=False,
    )
    adapter = adapter_class(max_retries=policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@functools.cache
def _classes() -> tuple[type[requests.Session], type[Any], type[Any]]:
    import socket
    from itertools import takewhile

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import (
        ConnectTimeoutError,
        InvalidHeader,
        MaxRetryError,
        ResponseError,
    )
    from urllib3.util.retry import Retry

    class Policy(Retry):
        """urllib3's Retry with cibridge's rules: 429 for any method, 5xx only for
        idempotent ones, Retry-After up to max_wait, backoff with jitter, injectable sleep."""

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            return status_code in RETRY_ALWAYS or (
                status_code in RETRY_IDEMPOTENT and method.upper() in IDEMPOTENT
            )

        def get_retry_after(self, response: Any) -> float | None:
            value = response.headers.get("Retry-After")
            try:
                if value is not None:
                    return self.parse_retry_after(value)
            except InvalidHeader:
                pass  # garbage such as "²": the reset time, else back off
            return reset_wait(response.headers.get("X-RateLimit-Reset"))

        def get_backoff_time(self) -> float:
            errors = list(takewhile(lambda h: h.redirect_location is None, reversed(self.history)))
            call = current_call()
            jitter = call.jitter() if call else random.random()
            return backoff(len(errors) - 1, jitter)

        def increment(
            self,
            method: Any = None,
            url: Any = None,
            response: Any = None,
            error: Any = None,
            _pool: Any = None,
            _stacktrace: Any = None,
        ) -> Any:
            call = current_call()
            wait = None if response is None else self.get_retry_after(response)
            if response is not None and says_wait_in_body(int(response.status), response.headers):
                # Discord and Telegram say how long to wait in the JSON body (retry_after),
                # which only the transport reads: handed back unread, it waits and resends.
                raise MaxRetryError(_pool, url, ResponseError("the wait is in the body"))
            if call is not None and wait is not None and wait > call.max_wait:
                log.debug(
                    f"{call.what}: asked to wait {wait:.0f}s, over {call.max_wait:g}s; giving up"
                )
                raise MaxRetryError(_pool, url, ResponseError("Retry-After over the limit"))
            return super().increment(method, url, response, error, _pool, _stacktrace)

        def sleep(self, response: Any = None) -> None:
            wait = None if response is None else self.get_retry_after(response)
            wait = self.get_backoff_time() if wait is None else wait
            call = current_call()
            last = self.history[-1] if self.history else None
            cause = f"HTTP {last.status}" if last and last.status else "no answer"
            cause = type(last.error).__name__ if last and last.error else cause
            if call is not None:
                ms = (time.monotonic() - call.started) * 1000
                done = f"{call.what}: {call.method} {call.origin} -> {cause} ({ms:.0f} ms)"
                log.debug(f"{done}; retrying in {wait:.2f}s")
            (call.sleep if call else time.sleep)(wait)

    class Watched(HTTPConnection):
        """A connection whose socket is shut down when an attempt outlives its deadline: a
        read timeout is per read, so only this ends a server that drips one byte at a time."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._guard = threading.Lock()
            self._timer: threading.Timer | None = None
            self._owner: Call | None = None
            self._attempt: object = None
            # A duplicate of the socket: TLS wrapping detaches the original during the
            # handshake, and shutting a duplicate down ends the connection all the same.
            self._spare: socket.socket | None = None

        def watch(self, call: Call) -> None:
            attempt = object()
            with self._guard:
                if self._timer is not None:
                    self._timer.cancel()
                call.watched.add(self)
                self._owner, self._attempt = call, attempt
                call.attempt, call.started, call.deadline_hit = attempt, time.monotonic(), False
                self._timer = threading.Timer(call.deadline, self._expire, (call, attempt))
                self._timer.daemon = True
                self._timer.start()

        def release(self, call: Call | None = None) -> None:
            """The attempt is over (for ``call``, or whoever holds the connection)."""
            with self._guard:
                if call is not None and self._owner is not call:
                    return  # already back in the pool and watched for someone else
                if self._timer is not None:
                    self._timer.cancel()
                self._timer, self._owner = None, None
                spare = self._spare if self.sock is None else None
                self._spare = None if spare else self._spare
            if spare is not None:
                spare.close()

        def close(self) -> None:
            super().close()
            # While an attempt runs, http.client "closes" a connection to hand its socket
            # to a response that reads to the end: the watchdog still needs the spare then.
            with self._guard:
                spare = self._spare if self._timer is None else None
                self._spare = None if spare else self._spare
            if spare is not None:
                spare.close()

        def _expire(self, call: Call, attempt: object) -> None:
            with self._guard:
                if call.attempt is not attempt or self._attempt is not attempt:
                    return
                call.deadline_hit = True
                spare = self._spare
            if spare is not None:
                with contextlib.suppress(OSError):
                    spare.shutdown(socket.SHUT_RDWR)

        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            with self._guard:
                spare, self._spare = self._spare, sock.dup()
                late = self._owner is not None and self._owner.deadline_hit
            if spare is not None:
                spare.close()
            if late:
                sock.close()
                raise ConnectTimeoutError(self, "the deadline passed while connecting")
            return sock

        def getresponse(self) -> Any:
            response = super().getresponse()
            call = self._owner
            if call is not None and call.deadline_hit and call.attempt is self._attempt:
                # The cut left headers that http.client reads as complete: a timeout all
                # the same (urllib3 makes it a read timeout, retried for idempotent methods).
                response.close()
                raise TimeoutError("the deadline passed while reading the headers")
            return response

    class WatchedTLS(Watched, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = Watched

        def _get_conn(self, timeout: float | None = None) -> Any:
            connection = super()._get_conn(timeout)
            call = current_call()
            if isinstance(connection, Watched) and call is not None:
                connection.watch(call)
            return connection

        def _put_conn(self, conn: Any) -> None:
            if isinstance(conn, Watched):
                conn.release()
            super()._put_conn(conn)

    class TLSPool(Pool, HTTPSConnectionPool):
        ConnectionCls = WatchedTLS

    pools = {"http": Pool, "https": TLSPool}

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    class Session(requests.Session):
        def get_redirect_target(self, resp: requests.Response) -> str | None:
            return None  # Transport follows redirects itself (see _exchange)

    return Session, Adapter, Policy
