"""Sending one e-mail over SMTP with the standard library, certificates checked.

``smtplib`` and ``email.message.EmailMessage`` rather than a library: one message per run
needs nothing more. TLS is implicit (``ssl``, port 465) or STARTTLS; either way the server's
certificate is verified against the system's CAs or ``ca_bundle``
(``ssl.create_default_context``), and a login is never sent over a connection that is not
encrypted. Every failure is a :class:`CibridgeError` saying which server, what it answered
and what to change; recipients the server refused are returned, each with its answer.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from cibridge.core.errors import failure
from cibridge.core.untrusted import excerpt

Security = Literal["ssl", "starttls", "none"]


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: Security
    timeout: float
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    where: str = ""  # where host was set, for messages

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Mail:
    """An e-mail ready to go: the server, the message, and whom to send it to (To and Cc)."""

    server: Server
    message: EmailMessage
    recipients: list[str]


@dataclass(frozen=True)
class Refused:
    recipient: str
    answer: str  # the server's code and words, e.g. "550 5.1.1 User unknown"


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {excerpt(' '.join(text.split()), 200)}"


def send(server: Server, message: EmailMessage, recipients: list[str]) -> list[Refused]:
    """Send ``message`` to ``recipients`` (To and Cc); the ones the server refused, or an
    error when it took none (or could not be reached, or refused the login)."""
    label = f"E-mail: the SMTP server {server.address}"
    try:
        with _connect(server) as client:
            if server.username and server.password:
                client.login(server.username, server.password)
            refused = client.send_message(message, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as error:
        details = "; ".join(
            f"{who}: {_answer(code, text)}" for who, (code, text) in error.recipients.items()
        )
        raise failure(
            f"{label} refused every recipient ({details})",
            hint="check `to` and `cc` (SMTP_TO, SMTP_CC); a relay may accept only its own "
            "domains without a login",
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        raise failure(
            f"{label} refused the login of {server.username!r}: "
            f"{_answer(error.smtp_code, error.smtp_error)}",
            hint="check username and password (SMTP_USERNAME, SMTP_PASSWORD); some providers "
            "want an app password",
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise failure(
            f"{label} refused the sender {error.sender!r}: "
            f"{_answer(error.smtp_code, error.smtp_error)}",
            hint="`from` (SMTP_FROM) must be an address this login may send as",
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise failure(
            f"{label} does not support what was asked: {excerpt(str(error), 200)}",
            hint="the server offers no STARTTLS or no login on this port: use port 465 with "
            "ssl: true, or 587 with starttls: true",
        ) from None
    except smtplib.SMTPResponseException as error:
        raise failure(
            f"{label} refused the message: {_answer(error.smtp_code, error.smtp_error)}"
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise failure(
            f"{label} presented a certificate that is not trusted: "
            f"{excerpt(error.verify_message or str(error), 200)}",
            hint="set ca_bundle (SMTP_CA_BUNDLE) to the CA that signed it; verification stays on",
        ) from None
    except ssl.SSLError as error:
        # Not a certificate problem: the two ends do not speak TLS the same way, most often
        # implicit TLS (ssl) asked of a STARTTLS or plain port.
        raise failure(
            f"{label} and cibridge could not agree on TLS: "
            f"{excerpt(error.reason or str(error), 200)}",
            hint="465 is ssl, 587 starttls: match SMTP_SSL / SMTP_STARTTLS to SMTP_PORT",
        ) from None
    except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
        if not _timed_out(error):
            raise failure(
                f"{label} closed the connection: {excerpt(str(error), 200)}",
                hint="check the port: 465 is ssl, 587 starttls (SMTP_PORT, SMTP_SSL)",
            ) from None
        raise failure(
            f"{label} did not answer within {server.timeout:g}s",
            hint="check host and port (SMTP_HOST, SMTP_PORT): 465 is ssl, 587 starttls; "
            "a firewall may drop the connection; raise `timeout` for a slow server",
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise failure(
            f"{label} could not be reached: {excerpt(str(error) or type(error).__name__, 200)}",
            hint="check host and port (SMTP_HOST, SMTP_PORT)"
            + (f", set in {server.where}" if server.where else ""),
        ) from None
    return [Refused(who, _answer(code, text)) for who, (code, text) in refused.items()]


def _timed_out(error: Exception) -> bool:
    # smtplib turns a read that timed out into SMTPServerDisconnected("... timed out").
    return isinstance(error, TimeoutError) or "timed out" in str(error)


def _connect(server: Server) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=server.ca_bundle)
    if server.security == "ssl":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.security == "starttls":
            client.starttls(context=context)
        return client
    except BaseException:
        client.close()
        raise
