"""OAuth 2.0 client credentials (RFC 6749 §4.4): a token fetched when first needed, renewed
before it expires and once after a 401, kept in memory only and registered with the
redactor the moment it exists."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from cibridge.core import redact
from cibridge.core.errors import failure
from cibridge.core.untrusted import excerpt
from cibridge.core.urls import origin
from cibridge.http.auth import Auth, Basic
from cibridge.http.refusal import is_redirect, raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.transport import Transport

_CHECK = "check token_url, client_id and client_secret"
_TOKEN_HINTS = {
    "invalid_client": "check client_id and client_secret, and whether the token endpoint "
    "expects them in the body or as HTTP Basic (client_auth)",
    "invalid_scope": "check the scopes: the client may not ask for them",
    "unauthorized_client": "allow the client credentials grant for this client",
    "unsupported_grant_type": "the endpoint does not offer client credentials; check token_url",
}


class OAuth2ClientCredentials(Auth):
    """OAuth 2.0 client credentials (RFC 6749 §4.4): one token per run, fetched on the first
    request, fetched again shortly before it expires and, once, after a 401."""

    # Renew this long before expiry (at most a tenth of the lifetime), so a token does not
    # expire between being read here and reaching the server.
    MARGIN = 60.0

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = (),
        audience: str | None = None,
        *,
        transport: Transport,
        client_auth: Literal["body", "basic"] = "body",
        what: str = "OAuth 2.0 token",
        clock: Callable[[], float] = time.monotonic,
        timeout: float | None = None,  # per read, as for the service the token is for
    ) -> None:
        redact.register(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self.audience = audience
        self.transport = transport
        self.client_auth = client_auth
        self.timeout = timeout
        self.what = what
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = math.inf
        self._renewed = False

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({origin(self.token_url)}, client_id={self.client_id!r})"

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._expires:
                self._token, self._expires = self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def renew(self) -> bool:
        with self._lock:
            if self._renewed:
                return False  # a fresh token refused too: not an expiry, do not loop
            self._renewed, self._token = True, None
            return True

    def _fetch(self) -> tuple[str, float]:
        from urllib.parse import quote_plus, urlencode

        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        if self.audience:
            form["audience"] = self.audience
        client: Auth | None = None
        if self.client_auth == "basic":
            # RFC 6749 §2.3.1: both form-encoded before they become the Basic pair.
            client = Basic(quote_plus(self.client_id), quote_plus(self._client_secret))
        else:
            form.update(client_id=self.client_id, client_secret=self._client_secret)
        response = self.transport.request(
            "POST",
            self.token_url,
            data=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=client,
            timeout=self.timeout,
            what=self.what,
        )
        data = response.json()
        data = data if isinstance(data, dict) else {}
        token = data.get("access_token")
        if response.ok and isinstance(token, str) and token:
            redact.register(token)
            return token, self._clock() + self._lifetime(data.get("expires_in"))
        where = f"{self.what}: the token endpoint {origin(self.token_url)} gave no token"
        error = data.get("error")
        if isinstance(error, str) and not response.ok and not is_redirect(response):
            # RFC 6749 §5.2: the endpoint's own words, better than its status.
            described = excerpt(data.get("error_description") or "", 200)
            detail = excerpt(error, 60) + (f": {described}" if described else "")
            raise failure(f"{where}: {detail}", hint=_TOKEN_HINTS.get(error, _CHECK))
        raise_for_refusal(
            response, where, hint="update token_url" if is_redirect(response) else _CHECK
        )
        raise failure(f"{where}: answered without an access_token", hint="check token_url")

    def _lifetime(self, expires_in: object) -> float:
        try:
            seconds = float(expires_in) if isinstance(expires_in, (int, float, str)) else 0.0
        except ValueError:
            seconds = 0.0
        if not math.isfinite(seconds) or seconds <= 0:
            return math.inf  # no usable expiry: good for the run, renewed after a 401
        return seconds - min(self.MARGIN, seconds / 10)
