"""Credentials as objects a request carries, kept in memory only.

Each object gives the headers it adds (:meth:`Auth.headers`), so the transport can drop
them whole when a redirect leaves the origin, and is also a ``requests`` auth callable
(``auth(prepared_request)``) without importing requests. Every credential value is
registered with the redactor the moment it exists.
"""

from __future__ import annotations

import base64
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Protocol, TypeVar

from cibridge.core import redact

if TYPE_CHECKING:
    pass


class _Prepared(Protocol):
    @property
    def headers(self) -> MutableMapping[str, str]: ...


_R = TypeVar("_R", bound=_Prepared)


class Auth:
    def headers(self) -> dict[str, str]:
        """The headers that carry the credential on the next request."""
        raise NotImplementedError

    def renew(self) -> bool:
        """After a 401: drop what may have expired; True when one more try can succeed."""
        return False

    def __call__(self, request: _R) -> _R:
        request.headers.update(self.headers())
        return request


class Basic(Auth):
    def __init__(self, user: str, password: str) -> None:
        self.user = user
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        for secret in (password, f"{user}:{password}", token):
            redact.register(secret)
        self._header = f"Basic {token}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}

    def __repr__(self) -> str:
        return f"Basic(user={self.user!r}, password=***)"


class Bearer(Auth):
    def __init__(self, token: str) -> None:
        redact.register(token)
        self._header = f"Bearer {token}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}

    def __repr__(self) -> str:
        return "Bearer(***)"


class HeaderAuth(Auth):
    """A token in a header of its own: ``X-Api-Key``, GitLab's ``PRIVATE-TOKEN`` or
    ``JOB-TOKEN``."""

    def __init__(self, name: str, value: str) -> None:
        redact.register(value)
        self.name = name
        self._value = value

    def headers(self) -> dict[str, str]:
        return {self.name: self._value}

    def __repr__(self) -> str:
        return f"HeaderAuth({self.name!r}, ***)"
