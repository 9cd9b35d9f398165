"""E-mail over SMTP: one multipart/alternative message, plain text and HTML from the same
rendered notification.

E-mail is no HTTP request, so the Delivery this provider prepares carries the message
(``Delivery.mail``) and the service hands it to :mod:`cibridge.clients.smtp` instead of the
HTTP transport; a dry run shows its headers and both parts, never the password. The
message's ``Message-ID`` is the ``message-id`` output, and ``--thread`` with it makes a
reply (``In-Reply-To``, ``References``) that mail clients show in the same conversation.
An e-mail cannot be changed once sent: ``--update`` sends a new one, as with the other
webhook providers.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions

if TYPE_CHECKING:
    from cibridge.clients.smtp import Security, Server
    from cibridge.http.transport import Response

DEFAULT_TIMEOUT = 30.0
_SETTINGS = "integration_configs.communication.email"
_MESSAGE_ID = re.compile(r"^<?([^\s<>@]+@[^\s<>@]+)>?$")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class Email(ProviderBase):
    name = "email"
    label = "E-mail"
    max_commits = 20

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        from cibridge.clients.smtp import Mail

        parts = payload if isinstance(payload, dict) else {}
        if not all(isinstance(parts.get(key), str) for key in ("subject", "text", "html")):
            raise CibridgeError(
                "E-mail template must produce a mapping with subject, text and html (strings)"
            )
        server = self.server()
        sender = self._addresses("from", required=True)
        to = self._addresses("to", required=True)
        cc = self._addresses("cc")
        if len(sender) != 1:
            raise CibridgeError(
                f"E-mail: `from` names {len(sender)} addresses ({self._where('from')}); "
                "it takes one"
            )
        message = EmailMessage()
        # One line: a commit message's CR/LF in the subject must not start a new header
        # (EmailMessage would refuse it; folding it to spaces keeps the message).
        message["Subject"] = " ".join(str(parts["subject"]).split())
        message["From"] = sender[0]
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = make_msgid("cibridge", domain=_domain(sender[0]))
        # RFC 3834: out-of-office replies and autoresponders do not answer a notification.
        message["Auto-Submitted"] = "auto-generated"
        if options.thread:
            found = _MESSAGE_ID.match(options.thread.strip())
            if found is None:
                raise CibridgeError(
                    f"E-mail: --thread {excerpt(options.thread, 60)!r} is not a Message-ID",
                    hint="pass the message-id output of the step that sent the first e-mail",
                )
            message["In-Reply-To"] = message["References"] = f"<{found[1]}>"
        message.set_content(parts["text"])
        message.add_alternative(parts["html"], subtype="html")
        # Flattened once now, so the MIME boundary is fixed: the dry run shows the headers
        # exactly as they go out.
        message.as_bytes()
        recipients = [address for _, address in getaddresses([*to, *cc])]
        security = server.security + (f", login {server.username}" if server.username else "")
        return Delivery(
            "SMTP",
            f"smtp://{server.address} ({security})",
            shown(message),
            {key: str(value) for key, value in message.items()},
            public_url=True,
            mail=Mail(server, message, recipients),
        )

    def outcome(self, response: Response) -> Outcome:
        # Never called: the service sends Delivery.mail over SMTP, not HTTP.
        return Outcome(False, f"E-mail got an HTTP answer (HTTP {response.status})")

    def server(self) -> Server:
        from cibridge.clients.smtp import Server

        host = self.settings.value("host", "SMTP_HOST")
        if not host:
            raise CibridgeError(
                "E-mail: no SMTP server is configured",
                hint=f"set SMTP_HOST (and SMTP_FROM, SMTP_TO), or host under {_SETTINGS}",
            )
        implicit = self._flag("ssl", "SMTP_SSL", default=None)
        port = self._port(465 if implicit else 587)
        if implicit is None:
            implicit = port == 465
        starttls = self._flag("starttls", "SMTP_STARTTLS", default=not implicit)
        security: Security = "ssl" if implicit else "starttls" if starttls else "none"
        username = self.settings.value("username", "SMTP_USERNAME")
        if username is None and self.settings.value("username_ref") is not None:
            username = self.settings.secret("username")
        password = self.settings.secret("password", "SMTP_PASSWORD")
        if bool(username) != bool(password):
            missing = "password (SMTP_PASSWORD)" if username else "username (SMTP_USERNAME)"
            raise CibridgeError(
                f"E-mail: a login needs a username and a password; the {missing} is not set"
            )
        if password and security == "none":
            raise CibridgeError(
                "E-mail: the password would be sent unencrypted (starttls and ssl are off, "
                f"{self._where('starttls', 'SMTP_STARTTLS')})",
                hint="turn starttls (port 587) or ssl (port 465) on; only a relay without a "
                "login may be reached in the clear",
            )
        ca_bundle = self.settings.value("ca_bundle", "SMTP_CA_BUNDLE")
        if ca_bundle and not Path(str(ca_bundle)).is_file():
            raise CibridgeError(
                f"E-mail: ca_bundle {ca_bundle} ({self._where('ca_bundle', 'SMTP_CA_BUNDLE')}) "
                "does not exist"
            )
        return Server(
            str(host),
            port,
            security,
            self._timeout(),
            str(username) if username else None,
            password,
            str(ca_bundle) if ca_bundle else None,
            self._where("host", "SMTP_HOST"),
        )

    def _timeout(self) -> float:
        from cibridge.core.durations import parse_timeout

        raw = self.settings.value("timeout", "SMTP_TIMEOUT")
        if raw is None:
            return DEFAULT_TIMEOUT
        return parse_timeout(raw, self._where("timeout", "SMTP_TIMEOUT")) or DEFAULT_TIMEOUT

    def _where(self, key: str, env_name: str = "") -> str:
        return self.settings.where(key, env_name)

    def _port(self, default: int) -> int:
        raw = self.settings.value("port", "SMTP_PORT", default)
        try:
            port = int(raw)
        except (TypeError, ValueError):
            port = 0
        if not 0 < port < 65536:
            raise CibridgeError(
                f"E-mail: port {excerpt(str(raw), 20)!r} ({self._where('port', 'SMTP_PORT')}) "
                "is not a port number",
                hint="587 for STARTTLS, 465 for ssl",
            )
        return port

    def _flag(self, key: str, env_name: str, default: bool | None) -> Any:
        raw = self.settings.value(key, env_name)
        if raw is None or raw == "":
            return default
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in _TRUE:
            return True
        if str(raw).lower() in _FALSE:
            return False
        raise CibridgeError(
            f"E-mail: {key} {excerpt(str(raw), 20)!r} ({self._where(key, env_name)}) is "
            "not true or false"
        )

    def _addresses(self, key: str, *, required: bool = False) -> list[str]:
        env_name = variables.name("email", key)
        raw = self.settings.value(key, env_name)
        given = raw if isinstance(raw, list) else str(raw or "").split(",")
        found = [" ".join(str(item).split()) for item in given if str(item).strip()]
        for item in found:
            parsed = getaddresses([item])
            if len(parsed) != 1 or "@" not in parsed[0][1]:
                raise CibridgeError(
                    f"E-mail: {key} {excerpt(item, 60)!r} ({self._where(key, env_name)}) is "
                    "not an e-mail address",
                    hint="write ops@example.com or Ops <ops@example.com>; several: a list, or "
                    "comma-separated in the variable",
                )
        if required and not found:
            raise CibridgeError(
                f"E-mail: no `{key}` address is configured",
                hint=f"set {env_name}, or {key} under {_SETTINGS}",
            )
        return found


def _domain(address: str) -> str:
    [(_, addr)] = getaddresses([address])
    return addr.rpartition("@")[2] or "localhost"


def shown(message: EmailMessage) -> dict[str, Any]:
    """The message's parts as a dry run shows them: each part's headers and its text (as
    written, before the transfer encoding the headers name)."""
    parts = []
    for part in message.iter_parts():
        content = part.get_content() if isinstance(part, EmailMessage) else ""
        headers = {key: str(value) for key, value in part.items()}
        parts.append({"headers": headers, "content": content})
    return {"parts": parts}
