"""The SMTP client against a real server (aiosmtpd): what the provider tests do not reach."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from cibridge.clients import smtp
from cibridge.core.errors import CibridgeError
from tests.smtp_server import PASSWORD, USER, smtp_server


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ci@example.com", "ops@example.com", "x"
    message.set_content("x")
    return message


def test_starttls_asked_of_a_server_that_offers_none_is_refused_before_any_login(
    tmp_path: Path,
) -> None:
    with smtp_server(tmp_path, "none") as box:
        server = smtp.Server("127.0.0.1", box.port, "starttls", 5, USER, PASSWORD, None)
        with pytest.raises(CibridgeError, match="does not support what was asked: STARTTLS"):
            smtp.send(server, _message(), ["ops@example.com"])
        assert box.received == []


def test_ssl_spoken_to_a_plain_server_is_a_clear_error(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "none") as box:
        server = smtp.Server("127.0.0.1", box.port, "ssl", 5, None, None, None)
        with pytest.raises(CibridgeError) as raised:
            smtp.send(server, _message(), ["ops@example.com"])
    assert f"127.0.0.1:{box.port} and cibridge could not agree on TLS" in str(raised.value)
    assert "465 is ssl, 587 starttls" in str(raised.value)


def test_a_relay_without_login_takes_the_message(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "none") as box:
        server = smtp.Server("127.0.0.1", box.port, "none", 5)
        assert smtp.send(server, _message(), ["ops@example.com"]) == []
    assert [r.recipients for r in box.received] == [["ops@example.com"]]
