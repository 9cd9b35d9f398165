"""Who may call the Jira stand-in, and the OAuth 2.0 token endpoint that lets a service
account in.

Cloud takes ``email:api_token`` as Basic auth and OAuth access tokens as Bearer; Data
Center takes personal access tokens as Bearer (and Basic). A PAT sent to v3 is refused,
as Cloud refuses one: that catches a Data Center token pointed at a Cloud site.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
from urllib.parse import parse_qs, unquote_plus

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.server import Answer, Request

JIRA_EMAIL = "ci@example.com"
JIRA_TOKEN = "standin-jira-api-token"  # noqa: S105 - a stand-in's own credentials
JIRA_PAT = "standin-jira-pat"
JIRA_CLIENT_ID = "standin-jira-client"
JIRA_CLIENT_SECRET = "standin-jira-client-secret"  # noqa: S105
TOKEN_LIFETIME = 3600


def _denied() -> Answer:
    # Atlassian's token endpoint says no to a wrong client like this, with a 401.
    return err.answer(401, {"error": "access_denied", "error_description": "Unauthorized"})


class TokenIssuer:
    """Issues, remembers and counts access tokens; a test may revoke them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.requests = 0  # token requests, granted or not: "fetched once" is checkable

    def revoke_all(self) -> None:
        """Make every issued token invalid, as an expiry would."""
        with self._lock:
            self._tokens.clear()

    def valid(self, token: str) -> bool:
        with self._lock:
            return self._tokens.get(token, 0.0) > time.monotonic()

    def handle(self, request: Request) -> Answer:
        with self._lock:
            self.requests += 1
        if request.method != "POST":
            return Answer(405, b"", {"Allow": "POST"})
        form = _form(request)
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        sent = header(request, "Authorization")
        if sent.startswith("Basic "):
            # RFC 6749 2.3.1: both parts are form-encoded before they become the Basic pair.
            client_id, secret = (unquote_plus(part) for part in _basic(sent))
        if form.get("grant_type") != "client_credentials":
            return err.answer(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Grant type is not supported",
                },
            )
        if (client_id, secret) != (JIRA_CLIENT_ID, JIRA_CLIENT_SECRET):
            return _denied()
        with self._lock:
            token = f"standin-oauth-access-{next(self._serial)}"
            self._tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return err.answer(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": form.get("scope", "read:jira-work write:jira-work"),
            },
        )


def header(request: Request, name: str) -> str:
    """A request header by name, whatever case the client wrote it in."""
    wanted = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == wanted), "")


def _form(request: Request) -> dict[str, str]:
    """The token request's parameters: form-encoded, or JSON as auth.atlassian.com allows."""
    kind = header(request, "Content-Type").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(request.raw)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    text = request.raw.decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(text).items()}


def _basic(header: str) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def identify(request: Request, api: int, tokens: TokenIssuer) -> str | None:
    """Which kind of credential signed the request ("basic", "pat", "oauth"), or None."""
    sent = header(request, "Authorization")
    if sent.startswith("Basic ") and _basic(sent) == (JIRA_EMAIL, JIRA_TOKEN):
        return "basic"
    if sent.startswith("Bearer "):
        token = sent[7:].strip()
        if token == JIRA_PAT and api == 2:
            return "pat"
        if tokens.valid(token):
            return "oauth"
    return None
