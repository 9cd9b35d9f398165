"""How the HTTP layer behaves, from the environment mapping the entry point passes down:
retries, waits, timeouts, the body cap, a private CA and proxies. A bad value is a usage
error naming the variable, found before anything is sent."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cibridge.core import urls
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt

# The order curl and requests read them in: the lower-case name first.
PROXY_VARIABLES = {
    "http": ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"),
    "https": ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"),
}


@dataclass(frozen=True)
class HttpSettings:
    retries: int = 3
    max_wait: float = 60.0  # the longest Retry-After honoured; a longer one ends the retries
    connect_timeout: float = 5.0
    read_timeout: float = 15.0  # per socket read, so a drip-feeding server needs `deadline`
    deadline: float = 60.0  # wall clock for one attempt: connect, headers and body
    max_body: int = 1_048_576
    ca_bundle: str | None = None  # a PEM file or a c_rehash'ed directory
    proxies: Mapping[str, str] = field(default_factory=dict)
    no_proxy: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpSettings:
        def first(*names: str) -> tuple[str, str]:
            found = ((name, env[name].strip()) for name in names if env.get(name, "").strip())
            return next(found, ("", ""))

        proxies = {}
        for scheme in ("http", "https"):
            name, value = first(*PROXY_VARIABLES[scheme])
            if value:
                proxies[scheme] = _proxy(name, value)
        deadline = _number(env, "CIBRIDGE_HTTP_DEADLINE", cls.deadline)
        if deadline <= 0:
            raise _bad_number("CIBRIDGE_HTTP_DEADLINE", env["CIBRIDGE_HTTP_DEADLINE"], cls.deadline)
        return cls(
            retries=int(_number(env, "CIBRIDGE_HTTP_RETRIES", cls.retries, whole=True)),
            max_wait=_number(env, "CIBRIDGE_HTTP_MAX_WAIT", cls.max_wait),
            deadline=deadline,
            ca_bundle=_ca_bundle(*first("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")),
            proxies=proxies,
            no_proxy=first("no_proxy", "NO_PROXY")[1],
        )


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]+" if whole else r"[0-9]+(\.[0-9]*)?|\.[0-9]+", raw):
        raise _bad_number(name, raw, default)
    return float(raw)


def _bad_number(name: str, raw: str, default: float) -> CibridgeError:
    kind = "a whole number, 0 or more" if name.endswith("RETRIES") else "a number of seconds"
    return CibridgeError(
        f"{name}={raw[:40]!r} is not {kind}",
        hint=f"set {name} to {kind} (default {default:g}), or unset it",
    )


def _ca_bundle(name: str, path: str) -> str | None:
    if not name:
        return None
    fix = f"point {name} at a PEM file of CA certificates or a c_rehash'ed directory, or unset it"
    problem = ""
    if os.path.isdir(path):
        problem = "" if os.access(path, os.R_OK | os.X_OK) else " is a directory it cannot read"
    elif not os.path.exists(path):
        problem = ": no such file or directory"
    elif not os.path.isfile(path):
        problem = " is neither a file nor a directory"
    else:
        try:
            with open(path, "rb") as bundle:
                head = bundle.read(1 << 20)
            problem = "" if b"-----BEGIN" in head else " holds no PEM certificate"
        except OSError as error:
            problem = f" cannot be read: {error.strerror}"
    if problem:
        raise CibridgeError(f"{name}={path!r}{problem}", hint=fix)
    return path


def _proxy(name: str, value: str) -> str:
    scheme = value.partition("://")[0].lower() if "://" in value else "http"
    if scheme not in ("http", "https"):
        raise CibridgeError(
            f"{name}: {excerpt(scheme, 20)} proxies are not supported ({urls.origin(value)})",
            hint=f"set {name} to an http:// or https:// proxy",
        )
    return value
