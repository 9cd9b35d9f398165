"""The demo's e-mail chapter without aiosmtpd: the exact message, as a dry run."""

from __future__ import annotations

import sys

import pytest

from cibridge.demo import mail
from cibridge.notify.service import NotifyRequest


def test_without_aiosmtpd_the_chapter_shows_the_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiosmtpd.controller", None)  # import fails
    printed: list[str] = []
    sent: list[tuple[dict[str, str], NotifyRequest]] = []

    class Platform:
        def print(self, text: str) -> None:
            printed.append(text)

    class Stage:
        platform = Platform()

    def notify(stage: object, env: dict[str, str], request: NotifyRequest) -> int:
        sent.append((env, request))
        return 0

    assert mail.chapter(Stage(), {}, notify) == 0  # type: ignore[arg-type]
    [(env, request)] = sent
    assert request.dry_run and request.targets == ["email"]
    assert env["SMTP_HOST"] == "smtp.example.com"
    assert "aiosmtpd is not installed" in printed[0]
