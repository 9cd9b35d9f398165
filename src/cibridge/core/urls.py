"""URLs as cibridge shows and redacts them, without importing an HTTP library.

A webhook address is a credential as a whole, and any URL can carry one in its user info
or query, so a URL is printed as its origin only and its secret parts are handed to the
redactor in every form they can take on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from cibridge.core.errors import CibridgeError

_MIN_QUERY_VALUE = 4
_MIN_PATH_SEGMENT = 8
# What a host (or [IPv6] literal) and port may look like; anything else is not echoed,
# because a mangled URL can put a password or a forged log line where the host should be.
_HOST = re.compile(r"[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"[0-9]{1,5}")
# A path segment that reads as a word ("services", "workflows", "incoming-hook") names the
# route, not the secret; registered, it would be masked in every line of every log (GitHub's
# ::add-mask:: included). The path as a whole is registered all the same.
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# What would end a host and port, or hide the real host behind user info: "\\" too, read as
# "/" by WHATWG parsers (browsers, some proxies), and spaces and controls.
_NOT_IN_AUTHORITY = re.compile(r"[/?#@\\\s\x00-\x1f\x7f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _split(url: str) -> tuple[str, str, str]:
    """``(scheme, authority, rest)`` as RFC 3986 splits them; never raises, unlike urlsplit
    on a bracket it cannot read."""
    scheme, sep, tail = url.partition("://")
    if not sep:
        return "", "", url
    ends = [i for i in (tail.find(c) for c in "/?#") if i >= 0]
    end = min(ends, default=len(tail))
    return scheme, tail[:end], tail[end:]


def origin(url: str) -> str:
    """``scheme://host[:port]`` only: a webhook's path, query and user info are its secret."""
    scheme, authority, rest = _split(url.strip())
    if "@" in rest.partition("?")[0].partition("#")[0]:
        # "user:pa/ss@host": a "/" in the user info ended the authority early, so what
        # looks like the host is part of the credentials.
        return "(a URL whose host cannot be told from its user info)"
    hostport = authority.rpartition("@")[2]
    host, port = hostport, ""
    if not hostport.endswith("]") and ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if not _HOST.fullmatch(host) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return "(a URL without a readable host)"
    # A port that is not a number is most likely the start of a password with a "/" in it.
    shown_port = f":{port}" if _PORT.fullmatch(port) else ""
    return f"{scheme}://{host}{shown_port}"


def ensure_url(url: str, where: str) -> str:
    if not url.startswith(("http://", "https://")):
        # Only the scheme is shown: the rest of a mistyped webhook address is its secret,
        # registered or not. Only a scheme that is followed by "//" counts, so that a token
        # pasted in the wrong place ("xoxb-1234:…") is never shown in part.
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,15}:)//", url)
        shown = f"{scheme.group(1)}… is" if scheme else "the value has no scheme, so it is"
        raise CibridgeError(
            f"{where}: {shown} not an http(s) URL",
            hint="copy the full URL, including https://",
        )
    return url


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """The URL without ``user:password@``, and the user and password percent-decoded
    (``None`` when absent), so they can travel as an Authorization header instead."""
    scheme, authority, rest = _split(url)
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return url, None, None
    user, colon, password = userinfo.partition(":")
    return f"{scheme}://{hostport}{rest}", unquote(user), unquote(password) if colon else None


def secret_parts(url: str, *, whole_url_secret: bool) -> list[str]:
    """Every string the redactor must mask for this URL: user info, query values and, for a
    webhook address, its path and long path segments, each also percent-encoded and decoded.
    """
    _, authority, rest = _split(url)
    parts: list[str] = []
    userinfo, at, _ = authority.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        parts.append(user)
        if colon:
            parts += [password, userinfo]
    path, _, query = rest.partition("#")[0].partition("?")
    for pair in query.split("&"):
        # partition, not rsplit: base64 "=" padding belongs to the value.
        value = pair.partition("=")[2]
        if len(value) >= _MIN_QUERY_VALUE:
            parts.append(value)
    if whole_url_secret and path.strip("/"):
        parts.append(path)
        parts += [
            segment
            for segment in path.split("/")
            if len(segment) >= _MIN_PATH_SEGMENT and not _WORD.fullmatch(segment)
        ]
    found: dict[str, None] = {}
    for part in parts:
        # unquote_plus too: in a query "+" is a space once decoded.
        forms = (part, quote(part, safe=""), quote_plus(part), unquote(part), unquote_plus(part))
        for form in forms:
            if len(form) >= _MIN_QUERY_VALUE:
                found.setdefault(form)
    return list(found)


def fill(
    template: str,
    pattern: re.Pattern[str],
    value_of: Callable[[re.Match[str]], str],
    where: str,
    shown: Callable[[re.Match[str]], str],
) -> str:
    """``template``, a URL, with each ``pattern`` match replaced by ``value_of(match)``, made
    safe for the part of the URL it lands in, so no value can send the request to another
    host: in the user info, path, query or fragment it is percent-encoded (a "/" as %2F);
    in the host and port a value with ``/ ? # @ \\`` is refused (exit 2, naming ``where``
    and the placeholder as ``shown`` writes it). A value the URL starts with (``{{ url }}``,
    ``${BASE}/health``) is the origin the config's author chose to take from it, as it is."""
    out: list[str] = []
    position = 0
    for match in pattern.finditer(template):
        out.append(template[position : match.start()])
        value = value_of(match)
        part = _part("".join(out), template[match.end() :])
        if part == "authority" and _NOT_IN_AUTHORITY.search(value):
            bad = _NOT_IN_AUTHORITY.search(value)
            assert bad is not None
            raise CibridgeError(
                f"{where}: the value of {shown(match)} has {bad.group()!r} and lands in the "
                "URL's host and port, where it would change the host",
                hint="pass a host or host:port only; write the path, query and fragment in "
                "the url after it",
            )
        if part == "scheme" and not _SCHEME.fullmatch(value):
            raise CibridgeError(
                f"{where}: the value of {shown(match)} is the URL's scheme but is not one",
                hint="pass http or https",
            )
        if part in ("userinfo", "path", "query", "fragment"):
            # A segment of dots only would climb the path once the server normalises it.
            value = "%2E" * len(value) if value.strip(".") == "" else quote(value, safe="")
        out.append(value)
        position = match.end()
    out.append(template[position:])
    return "".join(out)


def _part(before: str, after: str) -> str:
    """Where in a URL the text between ``before`` and ``after`` stands."""
    _, sep, rest = before.partition("://")
    if not sep:
        return "scheme" if after.startswith("://") else "start"
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    if not ends:
        closing = [i for i in (after.find(c) for c in "/?#") if i >= 0]
        still = after[: min(closing, default=len(after))]
        return "userinfo" if "@" in still else "authority"
    tail = rest[min(ends) :]
    return "fragment" if "#" in tail else "query" if "?" in tail else "path"
