"""The HTTP layer every integration uses: one ``requests`` session per run.

``requests`` (and urllib3) is imported on the first request only, so ``render``, ``config``
and dry runs never pay for it, and settings come from the environment mapping the entry
point passes down (this module never reads ``os.environ``). urllib3 does the retries (its
``Retry``, with cibridge's rules), bounds decompression and pools connections; requests
prepares requests and handles proxies and CA bundles. Added here because neither library
does it: a wall-clock deadline per attempt, a cap on the body read, and redirects that are
followed for reads only, without reading their bodies and without carrying credentials to
another origin.
"""

from __future__ import annotations

import json as jsonlib
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge import __version__
from cibridge.core import log, redact, urls
from cibridge.core.credentials import is_credential_name
from cibridge.core.errors import CibridgeError, failure
from cibridge.core.untrusted import EXCERPT, excerpt
from cibridge.http.call import Call, enter, leave
from cibridge.http.settings import HttpSettings as HttpSettings

if TYPE_CHECKING:
    import requests

    from cibridge.http.auth import Auth

USER_AGENT = f"cibridge/{__version__}"
FOLLOWS_REDIRECTS = frozenset({"GET", "HEAD"})
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers that carry credentials by their name (X-Api-Key, PRIVATE-TOKEN, Cookie, ...):
# dropped with the auth object's headers when a redirect leaves the origin.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"(?:[^\s\x00-\x1f\x7f][^\x00-\x08\x0a-\x1f\x7f]*)?")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    url: str = ""
    truncated: bool = False  # the body was cut at HttpSettings.max_body

    @property
    def text(self) -> str:
        charset = re.search(r"charset=\"?([\w.:-]+)", self.headers.get("content-type", ""))
        try:
            return self.body.decode(charset.group(1) if charset else "utf-8", "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The decoded body, or None when it is not JSON (or nests too deep to decode)."""
        try:
            return jsonlib.loads(self.body or b"null")
        except (ValueError, RecursionError):
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def excerpt(self, limit: int = EXCERPT) -> str:
        """What an error message shows of the answer: one line, no control characters,
        secrets masked (before the cut)."""
        return excerpt(self.text, limit)

    def redirect_target(self) -> str:
        """The origin a redirect points to ("" when this is none): only the origin, since
        the rest of a Location may carry a token."""
        location = self.headers.get("location", "")
        if self.status not in REDIRECTS or not location:
            return ""
        from urllib.parse import urljoin

        try:
            return urls.origin(urljoin(self.url, location))
        except ValueError:
            return "an unreadable address"

    def redirect_note(self) -> str:
        """Why a write stopped at a redirect, showing only the origin it points to."""
        target = self.redirect_target()
        if not target:
            return f"answered HTTP {self.status}"
        if target == urls.origin(self.url):
            target = f"another path on {target}"
        note = "not followed for a write; update the URL"
        return f"answered {self.status} redirect to {target} ({note})"


class Transport:
    """One per run: the session (created on the first request), its pools and settings."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.sleep = sleep  # between retries; tests record the waits instead
        self.jitter = jitter  # in [0, 1): spreads the backoff of clients that failed together
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        for proxy in settings.proxies.values():
            for part in urls.secret_parts(proxy, whole_url_secret=False):
                redact.register(part)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth | None = None,
        timeout: float | None = None,
        what: str,
        stay_on_origin: bool = False,
    ) -> Response:
        """Send one request, retrying what is safe to retry. HTTP errors are returned;
        transport faults raise CibridgeError (exit 1; exit 2 for an unusable URL or header).
        ``timeout`` replaces the per-read timeout; ``what`` names the service in messages.
        With ``stay_on_origin`` a read's redirect to another origin is returned, not
        followed: for a caller whose answer must come from the URL's own origin, with
        every header it sends."""
        method = method.upper()
        problem = _url_problem(url)
        if problem:
            raise CibridgeError(
                f"{what}: the URL for {method} is not usable: {problem} (not shown: it may "
                "hold a secret)",
                hint="check the URL; percent-encode @ : / in a user name or password (%40 %3A %2F)",
            )
        url, user, password = urls.split_userinfo(url)
        if auth is None and (user or password):
            from cibridge.http.auth import Basic

            auth = Basic(user or "", password or "")
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if json is not None:
            data = jsonlib.dumps(json, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json; charset=utf-8"
        sent.update(headers or {})
        exchange = (method, url, data, sent, auth, timeout, what, stay_on_origin)
        response, auth_sent = self._exchange(*exchange)
        if response.status == 401 and auth_sent and auth is not None and auth.renew():
            log.debug(f"{what}: HTTP 401; renewed the credentials, trying once more")
            response, _ = self._exchange(*exchange)
        return self._wait_as_told(response, exchange)

    def _wait_as_told(self, response: Response, exchange: tuple[Any, ...]) -> Response:
        """A 429 the session handed back unread (no wait in its headers, a JSON body):
        retried, as any 429 is, waiting what the body says or else backing off."""
        from cibridge.http.session import backoff, body_wait, says_wait_in_body

        what = exchange[6]
        for attempt in range(self.settings.retries):
            if not says_wait_in_body(response.status, response.headers):
                break
            told = body_wait(response.json())
            wait = backoff(attempt, self.jitter()) if told is None else told
            if wait > self.settings.max_wait:
                log.debug(f"{what}: asked to wait {wait:.0f}s, over {self.settings.max_wait:g}s")
                break
            log.debug(f"{what}: HTTP 429; retrying in {wait:.2f}s")
            self.sleep(wait)
            response, _ = self._exchange(*exchange)
        return response

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        auth: Auth | None,
        timeout: float | None,
        what: str,
        stay_on_origin: bool,
    ) -> tuple[Response, bool]:
        """The response (after any redirects), and whether the auth was still sent with it."""
        import http.client

        import requests
        import urllib3.exceptions

        credentials = auth.headers() if auth is not None else {}
        problem = _header_problem({**headers, **credentials})
        if problem:
            raise CibridgeError(f"{what}: {problem}", hint="fix the header or the secret in it")
        settings, session = self.settings, self._session_()
        read = settings.read_timeout if timeout is None else timeout
        deadline = settings.deadline if timeout is None else max(settings.deadline, timeout)
        call = Call(
            what, method, urls.origin(url), deadline, settings.max_wait, self.sleep, self.jitter
        )
        previous = enter(call)
        try:
            for hop in range(MAX_REDIRECTS + 1):
                raw = session.request(
                    method,
                    url,
                    data=body,
                    headers={**headers, **credentials},
                    timeout=(settings.connect_timeout, read),
                    allow_redirects=False,
                    stream=True,
                    verify=settings.ca_bundle or True,
                    proxies=self._proxies_for(url),
                )
                # The base class's: cibridge's session answers None, so that requests never
                # follows (nor reads the body of) a redirect itself.
                location = requests.Session.get_redirect_target(session, raw)
                if method not in FOLLOWS_REDIRECTS:
                    location = None
                if location is not None and stay_on_origin and _leaves(url, location):
                    location = None  # returned as it is, as a write's redirect is
                if location is None:
                    break
                raw.close()  # a redirect's body is never read
                if hop == MAX_REDIRECTS:
                    raise failure(
                        f"{what}: {method} {call.origin}: more than {MAX_REDIRECTS} redirects",
                        hint="use the address the redirects end at",
                    )
                url, stripped = self._follow(session, call, url, location, raw.status_code)
                if stripped:
                    credentials = {}
                    headers = {k: v for k, v in headers.items() if not is_credential_name(k)}
            try:
                content, truncated = _read_capped(raw, settings.max_body)
            finally:
                raw.close()  # back to the pool when read to the end, else closed
            if call.deadline_hit:  # the cut may look like the end of a body without a length
                raise TimeoutError("the deadline passed while reading the body")
        except (
            OSError,
            ValueError,
            http.client.HTTPException,
            urllib3.exceptions.HTTPError,
        ) as error:
            log.debug(f"{what}: {method} {call.origin} -> {type(error).__name__}")
            from cibridge.http.faults import fault

            raise fault(error, call, settings, read) from None
        finally:
            leave(previous)
            for connection in call.watched:
                connection.release(call)
        ms = (time.monotonic() - call.started) * 1000
        log.debug(f"{what}: {method} {call.origin} -> {raw.status_code} ({ms:.0f} ms)")
        lowered = {key.lower(): value for key, value in raw.headers.items()}
        return Response(raw.status_code, content, lowered, url, truncated), bool(credentials)

    def _follow(
        self, session: requests.Session, call: Call, url: str, location: str, status: int
    ) -> tuple[str, bool]:
        """The next URL of a read's redirect, and whether credentials must stay behind."""
        from urllib.parse import urljoin

        from requests.utils import requote_uri

        target = urljoin(url, requote_uri(location))
        if _url_problem(target):
            raise failure(
                f"{call.what}: {call.method} {call.origin} redirected to an address that is "
                "not an http(s) URL",
                hint="ask the service's owner about the redirect, or use the final URL",
            )
        target = urls.split_userinfo(target)[0]  # credentials never come from a Location
        log.debug(f"{call.what}: {call.method} {call.origin} -> {status} to {urls.origin(target)}")
        call.origin, call.redirected = urls.origin(target), True
        return target, session.should_strip_auth(url, target)

    def _proxies_for(self, url: str) -> dict[str, str]:
        if not self.settings.proxies:
            return {}
        if self.settings.no_proxy:
            from requests.utils import should_bypass_proxies

            if should_bypass_proxies(url, no_proxy=self.settings.no_proxy):
                return {}
        return dict(self.settings.proxies)

    def _session_(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                from cibridge.http.session import new_session

                self._session = new_session(self.settings)
            return self._session


def _leaves(url: str, location: str) -> bool:
    from urllib.parse import urljoin

    from requests.utils import requote_uri

    return urls.origin(urljoin(url, requote_uri(location))) != urls.origin(url)


def _read_capped(raw: requests.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the decoded body, and whether there was more (left unread)."""
    chunks: list[bytes] = []
    size = 0
    # urllib3 >= 2.6 inflates no more than each chunk asks for, so a gzip bomb stops here.
    for chunk in raw.iter_content(chunk_size=min(65536, limit + 1)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _header_problem(headers: Mapping[str, str]) -> str | None:
    """Why a header cannot be sent (checked before sending: http.client's own error would
    quote the value, which may be a token)."""
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            return f"the header name {excerpt(name, 60)!r} is not valid"
        if not _HEADER_VALUE.fullmatch(value) or not _latin1(value):
            return (
                f"the value of header {name} has a line break, control character, leading "
                "space or a character headers cannot carry (check the secret for a newline)"
            )
    return None


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _url_problem(url: str) -> str | None:
    from urllib.parse import urlsplit

    if re.search(r"[\s\x00-\x1f\x7f]", url):
        return "it contains a space, line break or control character"
    if not re.match(r"(?i)https?://", url):
        return "it does not start with http:// or https://"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        return "its host or port cannot be read"
    return None if parts.hostname else "it has no host"
