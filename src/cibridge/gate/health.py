"""HTTP and TCP health checks, with retries and backoff, ending in the gate's verdicts.

An HTTP check passes when one attempt gets an expected status, a body that matches
(``contains``, ``body_regex``, ``json_path`` [= ``json_value``]) and, with ``max_latency``,
an answer within the budget. Attempts are 1 + ``retries``, waiting ``interval`` and then
twice as long each time. A service that cannot be reached fails its check: that is what
the check is for. Only redirects within the URL's origin are followed: a redirect elsewhere
fails the check unless its status is expected, and the check's headers never leave.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cibridge.core import urls
from cibridge.core.durations import seconds_text
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.gate.results import CheckResult, Verdict
from cibridge.gate.settings import HttpCheck, TcpCheck, shown_url

if TYPE_CHECKING:
    from cibridge.http.transport import Response, Transport

_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


@dataclass
class Clock:
    """Time as the checks see it; tests pass their own."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    connect: Callable[..., Any] = socket.create_connection
    waits: list[float] = field(default_factory=list)

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)


def json_at(document: Any, path: str) -> Any:
    """The value at a dotted path (``status``, ``$.checks.db.status``, ``items[0].ok``)."""
    node = document
    text = path.strip().removeprefix("$").lstrip(".")
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if not match:
            return _MISSING
        key, index = match.group(1), match.group(2)
        if key is not None and isinstance(node, dict) and key in node:
            node = node[key]
        elif index is not None and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return _MISSING
        position = match.end()
    return node


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(actual) == float(expected)
    return str(actual) == str(expected)


def judge_response(check: HttpCheck, response: Response, seconds: float) -> tuple[bool, str]:
    took = f"{seconds * 1000:.0f} ms"
    target = response.redirect_target()
    if (
        target
        and target != urls.origin(response.url)
        and response.status not in check.expected_status
    ):
        # Another origin's answer says nothing about this service, and the check's headers
        # (its credentials) must not travel there: the transport stopped at the redirect.
        return False, (
            f"HTTP {response.status} in {took}: redirected to another origin {target} "
            "(not followed)"
        )
    if response.status not in check.expected_status:
        wanted = _statuses_text(check.expected_status)
        return False, f"HTTP {response.status} in {took}, expected {wanted}"
    text = response.text
    if check.contains and check.contains not in text:
        return False, f"HTTP {response.status}, but the body does not contain {check.contains!r}"
    if check.body_regex and not re.search(check.body_regex, text):
        return False, f"HTTP {response.status}, but the body does not match /{check.body_regex}/"
    if check.json_path:
        found = json_at(response.json(), check.json_path)
        if found is _MISSING:
            return False, f"HTTP {response.status}, but the body has no {check.json_path}"
        if check.json_value is not None and not _same(found, check.json_value):
            shown = excerpt(repr(found), 60)
            return False, f"{check.json_path} is {shown}, expected {check.json_value!r}"
    if check.max_latency is not None and seconds > check.max_latency:
        budget = f"{check.max_latency * 1000:.0f} ms"
        return False, f"HTTP {response.status} in {took}, over the {budget} budget"
    return True, f"HTTP {response.status} in {took}"


def _statuses_text(statuses: tuple[int, ...]) -> str:
    if len(statuses) == 100 and statuses[0] % 100 == 0:
        return f"{statuses[0] // 100}xx"
    return " or ".join(str(s) for s in statuses[:5]) + (" ..." if len(statuses) > 5 else "")


def http_check(check: HttpCheck, transport: Transport, clock: Clock) -> CheckResult:
    from cibridge.http.transport import Transport

    # Its own retries and deadline: the check's, not the transport's (which would multiply).
    settings = replace(
        transport.settings,
        retries=0,
        deadline=check.timeout,
        connect_timeout=min(transport.settings.connect_timeout, check.timeout),
    )
    started = clock.monotonic()
    attempts = check.retries + 1
    why = ""
    with Transport(settings) as own:
        for attempt in range(attempts):
            if attempt:
                clock.wait(check.interval * 2 ** (attempt - 1))
            began = clock.monotonic()
            try:
                response = own.request(
                    check.method,
                    check.url,
                    headers=check.headers,
                    timeout=check.timeout,
                    what=f"health check {check.name}",
                    stay_on_origin=True,
                )
            except CibridgeError as error:
                if error.exit_code != EXIT_FAILURE:
                    raise
                why = error.message
                continue
            ok, why = judge_response(check, response, clock.monotonic() - began)
            if ok:
                return _result(check, "pass", why, attempt + 1, clock.monotonic() - started)
    return _result(check, "fail", why, attempts, clock.monotonic() - started)


def _result(
    check: HttpCheck | TcpCheck, verdict: Verdict, why: str, attempts: int, seconds: float
) -> CheckResult:
    if attempts > 1:
        why += f" (attempt {attempts})" if verdict == "pass" else f" (after {attempts} attempts)"
    if isinstance(check, HttpCheck):
        target, threshold = f"{check.method} {shown_url(check.url)}", _http_threshold(check)
    else:
        target, threshold = (
            f"{check.host}:{check.port}",
            f"connect within {seconds_text(check.timeout)}",
        )
    return CheckResult(
        name=check.name,
        kind="http" if isinstance(check, HttpCheck) else "tcp",
        target=target,
        threshold=threshold,
        verdict=verdict,
        why=why,
        failure_action=check.failure_action,
        critical=check.critical,
        value=why.split(",")[0] if verdict == "pass" else "",
        failed_observations=1 if verdict == "fail" else 0,
        seconds=seconds,
    )


def _http_threshold(check: HttpCheck) -> str:
    parts = [f"status {_statuses_text(check.expected_status)}"]
    if check.contains:
        parts.append(f"contains {check.contains!r}")
    if check.body_regex:
        parts.append(f"body /{check.body_regex}/")
    if check.json_path:
        wanted = "" if check.json_value is None else f" = {check.json_value!r}"
        parts.append(f"{check.json_path}{wanted}")
    if check.max_latency is not None:
        parts.append(f"≤ {check.max_latency * 1000:.0f} ms")
    return ", ".join(parts)


def tcp_check(check: TcpCheck, clock: Clock) -> CheckResult:
    started = clock.monotonic()
    attempts = check.retries + 1
    why = ""
    for attempt in range(attempts):
        if attempt:
            clock.wait(check.interval * 2 ** (attempt - 1))
        began = clock.monotonic()
        try:
            connection = clock.connect((check.host, int(check.port)), timeout=check.timeout)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            if isinstance(error, TimeoutError):
                reason = f"no answer within {seconds_text(check.timeout)}"
            why = f"cannot connect to {check.host}:{check.port}: {reason}"
            continue
        connection.close()
        took = f"{(clock.monotonic() - began) * 1000:.0f} ms"
        return _result(check, "pass", f"connected in {took}", attempt + 1, 0.0)
    return _result(check, "fail", why, attempts, clock.monotonic() - started)
