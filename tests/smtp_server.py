"""A real SMTP server on loopback for the tests: aiosmtpd, with STARTTLS (or implicit TLS)
and AUTH, its certificate signed by a CA made here, which the client is given as its CA
bundle so certificate verification stays on.

It requires TLS before AUTH and AUTH before MAIL, refuses the recipients a test names
with a real 550 answer, and keeps every message it accepted as the bytes it received.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from ipaddress import ip_address
from pathlib import Path
from typing import Any, cast

USER = "ci-bot"
PASSWORD = "smtp-canary-password-7f3a"


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for 127.0.0.1 and localhost it signed: (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cibridge test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, message_from_bytes(self.raw, policy=policy.default))


@dataclass
class Mailbox:
    host: str
    port: int
    ca_bundle: Path
    security: str
    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)

    def env(self, **extra: str) -> dict[str, str]:
        """The variables that send cibridge's e-mail here, logged in."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": str(self.port),
            "SMTP_SSL": "true" if self.security == "ssl" else "false",
            "SMTP_STARTTLS": "true" if self.security == "starttls" else "false",
            "SMTP_CA_BUNDLE": str(self.ca_bundle),
            "SMTP_USERNAME": USER,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_FROM": "cibridge <ci@example.com>",
            "SMTP_TO": "ops@example.com, dev@example.com",
            **extra,
        }


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.box.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 2.0.0 Ok: queued"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(folder: Path, security: str = "starttls") -> Iterator[Mailbox]:
    """A logged-in SMTP server on 127.0.0.1: ``starttls`` (required before AUTH), ``ssl``
    (implicit TLS) or ``none`` (a relay without login, as the demo uses)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    folder.mkdir(parents=True, exist_ok=True)
    ca, cert, key = certificates(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Mailbox("127.0.0.1", _free_port(), ca, security)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        login = data.login.decode() if isinstance(data, LoginPassword) else ""
        box.logins.append((login, ok))
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {}
    if security == "starttls":
        kwargs = {"tls_context": tls, "require_starttls": True}
    elif security == "ssl":
        # The whole connection is TLS; aiosmtpd's auth_require_tls looks for STARTTLS only.
        kwargs = {"ssl_context": tls, "auth_require_tls": False}
    if security != "none":
        kwargs |= {"authenticator": authenticate, "auth_required": True}
    controller = Controller(
        _Handler(box), hostname="127.0.0.1", port=box.port, server_hostname="localhost", **kwargs
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that takes the connection and never says a word (no SMTP greeting)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.listen(8)  # the kernel completes the handshake; nobody ever answers
        yield int(listener.getsockname()[1])
