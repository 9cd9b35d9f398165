"""E-mail through `cibridge notify`, against a real SMTP server (aiosmtpd on loopback, with
STARTTLS or implicit TLS and AUTH, its certificate verified against a CA made here)."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.github_job import github_env, outputs
from tests.smtp_server import PASSWORD, USER, Mailbox, silent_server, smtp_server


@pytest.fixture
def mailbox(tmp_path: Path):  # type: ignore[no-untyped-def]
    with smtp_server(tmp_path) as box:
        yield box


def _env(tmp_path: Path, box: Mailbox, **extra: str) -> dict[str, str]:
    return {**github_env(tmp_path), **box.env(**extra)}


def _parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}  # type: ignore[attr-defined]


def test_the_mail_arrives_with_a_text_and_an_html_part_over_starttls(
    cli, mailbox: Mailbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox)
    result = cli("notify", "--status", "failure", "--to", "email", "--event", "deploy",
                 "--set", "environment=production", env=env)  # fmt: skip
    assert result.code == 0, result.all
    assert "E-mail: delivered to 2 recipients" in result.all
    [received] = mailbox.received
    assert mailbox.logins == [(USER, True)]
    assert received.sender == "ci@example.com"
    assert received.recipients == ["ops@example.com", "dev@example.com"]
    message = received.message
    assert message["Subject"] == "[acme/checkout] Deployment · acme/checkout → production failed"
    assert message["To"] == "ops@example.com, dev@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    parts = _parts(message)
    assert list(parts) == ["text/plain", "text/html"]
    # the push's hostile commit: verbatim in the text, escaped in the HTML
    assert 'Fix "quotes" and `ticks` {{ 7*7 }}' in parts["text/plain"]
    assert "Fix &#34;quotes&#34; and `ticks` {{ 7*7 }}" in parts["text/html"]
    assert "Environment: production" in parts["text/plain"]
    assert "<link" not in parts["text/html"] and "<img" not in parts["text/html"]
    assert outputs(tmp_path)["message-id"] == message["Message-ID"].strip("<>")


def test_chinese_subject_and_implicit_tls(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with smtp_server(tmp_path, "ssl") as box:
        env = _env(tmp_path, box)
        result = cli("notify", "--status", "success", "--to", "email", "--locale", "zh-CN",
                     env=env)  # fmt: skip
        assert result.code == 0, result.all
        [received] = box.received
    assert b"=?utf-8?b?" in received.raw.split(b"\r\nFrom:")[0]  # RFC 2047 encoded-words
    assert "构建通知" in received.message["Subject"]
    assert "构建通知" in _parts(received.message)["text/html"]


def test_each_refused_recipient_is_reported_with_the_server_s_answer(
    cli, mailbox: Mailbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mailbox.refused.add("dev@example.com")
    result = cli("notify", "--status", "success", "--to", "email", env=_env(tmp_path, mailbox))
    assert result.code == 1
    assert "sent to ops@example.com, but the server refused dev@example.com (550 5.1.1" in (
        result.all
    )
    assert [r.recipients for r in mailbox.received] == [["ops@example.com"]]


def test_every_recipient_refused_is_a_failure_naming_them(
    cli, mailbox: Mailbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mailbox.refused |= {"ops@example.com", "dev@example.com"}
    result = cli("notify", "--status", "success", "--to", "email", env=_env(tmp_path, mailbox))
    assert result.code == 1
    assert "refused every recipient (ops@example.com: 550" in result.all
    assert "dev@example.com: 550 5.1.1" in result.all
    assert mailbox.received == []


def test_a_wrong_password_is_named_and_never_printed(cli, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox, SMTP_PASSWORD="not-the-password-91c")
    result = cli("-v", "notify", "--status", "success", "--to", "email", env=env)
    assert result.code == 1
    assert "refused the login of 'ci-bot': 535 5.7.8" in result.all
    assert "SMTP_PASSWORD" in result.all
    assert "not-the-password-91c" not in result.all.replace("::add-mask::not-the-password-91c", "")
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN): none got in
    assert mailbox.logins and set(mailbox.logins) == {(USER, False)}
    assert mailbox.received == []


def test_a_server_that_never_answers_is_a_timeout(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with silent_server() as port:
        env = {**github_env(tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
               "SMTP_TIMEOUT": "1s", "SMTP_FROM": "ci@example.com", "SMTP_TO": "ops@example.com"}  # fmt: skip
        started = time.monotonic()
        result = cli("notify", "--status", "success", "--to", "email", env=env)
        took = time.monotonic() - started
    assert result.code == 1
    assert f"E-mail: the SMTP server 127.0.0.1:{port} did not answer within 1s" in result.all
    assert took < 10


def test_an_unreachable_server_is_that_target_s_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with silent_server() as port:
        pass  # closed again: nothing listens there now
    env = {**github_env(tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
           "SMTP_FROM": "ci@example.com", "SMTP_TO": "ops@example.com"}  # fmt: skip
    result = cli("notify", "--status", "success", "--to", "email", env=env)
    assert result.code == 1
    assert f"127.0.0.1:{port} could not be reached" in result.all
    assert "Connection refused" in result.all


def test_a_certificate_not_signed_by_a_trusted_ca_is_refused(
    cli, mailbox: Mailbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox)
    del env["SMTP_CA_BUNDLE"]
    result = cli("notify", "--status", "success", "--to", "email", env=env)
    assert result.code == 1
    assert "presented a certificate that is not trusted" in result.all
    assert "SMTP_CA_BUNDLE" in result.all
    assert mailbox.logins == []  # the password never left


def test_a_password_is_never_sent_in_the_clear(cli, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox, SMTP_STARTTLS="false")
    result = cli("notify", "--status", "success", "--to", "email", env=env)
    assert result.code == 2
    assert "the password would be sent unencrypted" in result.all
    assert mailbox.logins == [] and mailbox.received == []


def test_a_line_break_in_the_subject_adds_no_header(cli, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox)
    result = cli("notify", "--status", "success", "--to", "email", "--set",
                 "service_name=api\r\nBcc: evil@example.com\r\nX-Evil: 1", env=env)  # fmt: skip
    assert result.code == 0, result.all
    [received] = mailbox.received
    assert received.recipients == ["ops@example.com", "dev@example.com"]
    assert received.message["Bcc"] is None and received.message["X-Evil"] is None
    assert received.message["Subject"].endswith(
        "Build · api Bcc: evil@example.com X-Evil: 1 succeeded"
    )


def test_email_message_itself_refuses_a_header_with_a_line_break() -> None:
    """The second guard, should a template's subject reach the header unfolded."""
    message = EmailMessage()
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message["Subject"] = "x\r\nBcc: evil@example.com"


def test_dry_run_shows_the_whole_message_and_no_password(
    cli, mailbox: Mailbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = cli("--dry-run", "notify", "--status", "success", "--to", "email",
                 env=_env(tmp_path, mailbox))  # fmt: skip
    assert result.code == 0, result.all
    out = result.out
    assert f'"url": "smtp://127.0.0.1:{mailbox.port} (starttls, login ci-bot)"' in out
    for header in ('"Subject": "[acme/checkout] Build', '"From": "cibridge <ci@example.com>"',
                   '"To": "ops@example.com, dev@example.com"', '"Auto-Submitted": "auto-generated"'):  # fmt: skip
        assert header in out
    assert re.search(r'"Message-ID": "<[^"@]+cibridge@example\.com>"', out)
    assert re.search(r'"Content-Type": "multipart/alternative; boundary=\\"=+\d+==\\""', out)
    assert '"Content-Type": "text/plain; charset=\\"utf-8\\""' in out
    assert '"Content-Type": "text/html; charset=\\"utf-8\\""' in out
    assert PASSWORD not in out.replace(f"::add-mask::{PASSWORD}", "")
    assert mailbox.received == [] and mailbox.logins == []


def test_a_thread_reply_refers_to_the_first_mail(cli, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path, mailbox)
    assert cli("notify", "--status", "running", "--to", "email", env=env).code == 0
    first = outputs(tmp_path)["message-id"]
    result = cli("notify", "--status", "success", "--to", "email", "--thread", first, env=env)
    assert result.code == 0, result.all
    reply = mailbox.received[-1].message
    assert reply["In-Reply-To"] == reply["References"] == f"<{first}>"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"SMTP_HOST": ""}, "E-mail: no SMTP server is configured"),
        ({"SMTP_TO": ""}, "E-mail: no `to` address is configured"),
        ({"SMTP_TO": "ops"}, "E-mail: to 'ops' (environment variable SMTP_TO) is not an e-mail"),
        ({"SMTP_PORT": "smtp"}, "E-mail: port 'smtp' (environment variable SMTP_PORT) is not a port"),
        ({"SMTP_STARTTLS": "maybe"}, "starttls 'maybe' (environment variable SMTP_STARTTLS) is not true"),
        ({"SMTP_PASSWORD": ""}, "the password (SMTP_PASSWORD) is not set"),
    ],
)  # fmt: skip
def test_settings_errors_name_the_setting_and_where_it_came_from(
    cli, mailbox: Mailbox, tmp_path: Path, extra: dict[str, str], message: str
) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--status", "success", "--to", "email", env=_env(tmp_path, mailbox, **extra)
    )
    assert result.code == 2
    assert message in result.all


def test_the_settings_file_section(cli, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / ".cibridge.yml"
    config.write_text(
        "integration_configs:\n  communication:\n    email:\n"
        f"      host: 127.0.0.1\n      port: {mailbox.port}\n      starttls: true\n"
        f"      ca_bundle: {mailbox.ca_bundle}\n      username: {USER}\n"
        "      password_ref: smtp-pass\n      from: ci@example.com\n"
        "      to: [ops@example.com]\n      cc: [lead@example.com]\n      timeout: 5s\n"
    )
    env = {**github_env(tmp_path), "SMTP_PASS": PASSWORD}
    result = cli("--config", str(config), "notify", "--status", "success", "--to", "email", env=env)
    assert result.code == 0, result.all
    [received] = mailbox.received
    assert received.recipients == ["ops@example.com", "lead@example.com"]
    assert received.message["Cc"] == "lead@example.com"
