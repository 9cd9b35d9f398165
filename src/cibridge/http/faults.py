"""Transport faults as messages: what went wrong, naming the origin only.

Imported by ``cibridge.http.transport`` when a request fails; the ``requests``/urllib3 exception
types are imported inside ``fault``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError, failure
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.http.call import Call
    from cibridge.http.settings import HttpSettings

_UP = "check that the service is up and reachable from the runner"


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps: causes, contexts, urllib3 reasons, requests args."""
    found: list[BaseException] = []
    queue = [error]
    while queue:
        current = queue.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        linked = [current.__cause__, current.__context__, *current.args]
        linked += [getattr(current, "reason", None), getattr(current, "original_error", None)]
        queue += [item for item in linked if isinstance(item, BaseException)]
    return found


def fault(error: BaseException, call: Call, settings: HttpSettings, read: float) -> CibridgeError:
    """A message for a transport fault that names the origin only: exception texts are
    never quoted, since they can hold the URL's path, a header value or the server's bytes."""
    import http.client
    import socket
    import ssl

    import requests.exceptions as rq
    import urllib3.exceptions as u3

    chain = _causes(error)

    def find(*kinds: type[BaseException]) -> BaseException | None:
        return next((item for item in chain if isinstance(item, kinds)), None)

    what, where = call.what, f"{call.what}: {call.method} {call.origin}"
    if call.deadline_hit:
        return failure(
            f"{where} did not finish within the {call.deadline:g}s deadline",
            hint=f"{_UP}; CIBRIDGE_HTTP_DEADLINE sets the limit",
        )
    if find(rq.InvalidURL, rq.InvalidSchema, rq.MissingSchema, u3.LocationValueError, UnicodeError):
        if call.redirected:
            return failure(f"{where} redirected to an address that cannot be used", hint=_UP)
        return CibridgeError(
            f"{what}: the URL for {call.method} is not usable (not shown: it may hold a secret)",
            hint="check the URL's host and port",
        )
    if find(rq.ProxyError, u3.ProxyError):
        return failure(
            f"{where}: the proxy did not connect: {_reason(chain)}",
            hint="check HTTPS_PROXY/HTTP_PROXY, or add the host to NO_PROXY to go direct",
        )
    if find(ssl.SSLError, u3.SSLError, ssl.CertificateError):
        verify = find(ssl.SSLCertVerificationError)
        detail = getattr(verify, "verify_message", "")
        detail = f"certificate verify failed: {detail}" if detail else ""
        detail = excerpt(
            detail or getattr(find(ssl.SSLError), "reason", "") or "handshake failed", 120
        )
        return failure(
            f"{what}: TLS error talking to {call.origin}: {detail}",
            hint="for a private CA set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its bundle "
            "(a PEM file or a c_rehash'ed directory)",
        )
    if any(
        isinstance(e, u3.ConnectTimeoutError) and not isinstance(e, u3.NewConnectionError)
        for e in chain
    ):
        return failure(f"{where}: no connection within {settings.connect_timeout:g}s", hint=_UP)
    if find(u3.ReadTimeoutError, TimeoutError, rq.ReadTimeout):
        return failure(f"{where} timed out after {read:g}s", hint=_UP)
    if find(u3.NameResolutionError, socket.gaierror):
        return failure(
            f"{what}: cannot reach {call.origin}: its host name does not resolve",
            hint="check the host name and the runner's DNS (and HTTPS_PROXY/NO_PROXY)",
        )
    broken: list[tuple[type[BaseException], str]] = [
        (http.client.RemoteDisconnected, "the server closed the connection without answering"),
        (http.client.BadStatusLine, "the answer is not HTTP"),
        (http.client.IncompleteRead, "the answer broke off before its end"),
        (rq.ContentDecodingError, "the answer's Content-Encoding cannot be decoded"),
        (u3.DecodeError, "the answer's Content-Encoding cannot be decoded"),
        (u3.ProtocolError, "the connection broke off"),
        (rq.ChunkedEncodingError, "the connection broke off"),
    ]
    for kind, text in broken:
        if find(kind):
            return failure(f"{where}: {text}", hint=f"{_UP}, and that no proxy cuts the answer")
    return failure(
        f"{what}: cannot reach {call.origin}: {_reason(chain)}",
        hint="check the URL, DNS and HTTPS_PROXY/NO_PROXY for this runner",
    )


def _reason(chain: list[BaseException]) -> str:
    for item in chain:
        if isinstance(item, OSError) and item.errno is not None and item.strerror:
            return excerpt(f"[Errno {item.errno}] {item.strerror}", 120)
    return type(chain[-1]).__name__
