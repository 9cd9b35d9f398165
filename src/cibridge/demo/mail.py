"""The demo's e-mail chapter: a real SMTP server on loopback receives it when aiosmtpd is
installed (the test extra has it); without it, the exact message a dry run shows.

The server is a plain relay without TLS or login: nothing leaves 127.0.0.1 and no
password exists, so none is sent in the clear (cibridge refuses to do that).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from cibridge.notify.service import NotifyRequest

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage

Notify = Callable[["Stage", dict[str, str], NotifyRequest], int]
ADDRESSES = {"SMTP_FROM": "cibridge demo <ci@example.com>", "SMTP_TO": "ops@example.com"}


def chapter(stage: Stage, env: dict[str, str], notify: Notify) -> int:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        stage.platform.print(
            "aiosmtpd is not installed (pip install aiosmtpd), so no SMTP server runs here: "
            "this is the message cibridge would send (a dry run), not sent"
        )
        dry = {**env, **ADDRESSES, "SMTP_HOST": "smtp.example.com"}
        return notify(stage, dry, NotifyRequest(["email"], status="success", dry_run=True))
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(bytes(envelope.original_content))
            return "250 2.0.0 Ok: queued"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail_env = {
            **env,
            **ADDRESSES,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
        }
        code = notify(stage, mail_env, NotifyRequest(["email"], status="success"))
    finally:
        controller.stop()
    for raw in received:
        message = message_from_bytes(raw, policy=policy.default)
        with stage.platform.untrusted():
            stage.platform.print(_shown(message) if isinstance(message, EmailMessage) else "")
    return code


def _shown(message: EmailMessage) -> str:
    lines = [f"\nThe SMTP server on 127.0.0.1 received ({len(bytes(message))} bytes):"]
    lines += [f"  {key}: {message[key]}" for key in ("Subject", "From", "To", "Message-ID")]
    for part in message.iter_parts():
        content = part.get_content() if isinstance(part, EmailMessage) else ""
        if part.get_content_type() == "text/plain":
            lines += ["  --- text/plain ---", *(f"  {line}" for line in content.splitlines())]
        else:
            lines.append(f"  --- {part.get_content_type()}: {len(content)} characters ---")
    return "\n".join(lines)
