"""What trying notify as an attacker and as a new user found (issue 6), end to end through
the CLI: each fault stays with its target, is reported clearly, and leaks nothing."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.server import Request

SLACK_PATH = standins.SLACK_HOOK


def _answer(status: int, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    def handler(request: Request, raw: BaseHTTPRequestHandler) -> None:
        raw.send_response(status)
        for name, value in headers.items():
            raw.send_header(name.replace("_", "-"), value)
        raw.send_header("Content-Length", str(len(body)))
        raw.end_headers()
        raw.wfile.write(body)

    return handler


def _truncated(request: Request, raw: BaseHTTPRequestHandler) -> None:
    # Promises ten bytes, sends three and closes: what a dying proxy does (IncompleteRead).
    raw.send_response(200)
    raw.send_header("Content-Length", "10")
    raw.end_headers()
    raw.wfile.write(b"abc")


def _notify(cli, env: dict[str, str], *targets: str):  # type: ignore[no-untyped-def]
    argv = [arg for target in targets for arg in ("--to", target)]
    return cli("notify", "--status", "failure", *argv, env={"CIBRIDGE_HTTP_RETRIES": "0", **env})


def test_redirect_to_another_host_carries_no_token_and_is_not_delivered(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns
) -> None:
    with StandIns() as other:
        target = f"{other.base}/slack/api/chat.postMessage"
        stand_ins.override("/slack/api/chat.postMessage", _answer(302, b"", Location=target))
        env = {
            "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
            "SLACK_API_URL": f"{stand_ins.base}/slack/api",
            "SLACK_CHANNEL": "#deployments",
        }
        result = _notify(cli, env, "slack")
        assert other.received == []  # neither the token nor a bodiless GET went there
    assert result.code == 1
    assert "302" in result.all and "not followed" in result.all
    assert standins.SLACK_TOKEN not in result.all


def test_password_in_a_webhook_url_is_never_printed(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    url = stand_ins.env()["CIBRIDGE_WEBHOOK_URL"].replace("http://", "http://ci:Pa55-word-9@")
    result = _notify(cli, {"CIBRIDGE_WEBHOOK_URL": url.replace("127.0.0.1:", "127.0.0.1:x")})
    assert result.code == 2, result.all  # a non-numeric port: the URL is unusable
    assert "Pa55-word-9" not in result.all and "Traceback" not in result.all


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (_truncated, "webhook"),
        (lambda request, raw: raw.wfile.write(b"HTTP/1.1 garbage\r\n\r\n"), "webhook"),
        (_answer(429, b"slow down", Retry_After="\u00b2"), "HTTP 429"),
    ],
    ids=["incomplete-read", "bad-status-line", "garbage-retry-after"],
)
def test_one_broken_target_does_not_stop_the_others(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, handler, expected: str
) -> None:
    stand_ins.override("/webhook/receive", handler)
    env = {**stand_ins.env()}
    result = _notify(cli, env, "webhook", "wecom")
    assert result.code == 1, result.all
    assert expected in result.all
    assert "WeCom: delivered" in result.out  # the next provider still went out
    assert "internal error" not in result.all and "Traceback" not in result.all


def test_a_space_in_the_url_hides_the_secret_path(cli) -> None:  # type: ignore[no-untyped-def]
    result = _notify(cli, {"CIBRIDGE_WEBHOOK_URL": "https://hooks.example/secret path-777"})
    assert result.code == 2, result.all
    assert "path-777" not in result.all and "Traceback" not in result.all


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CIBRIDGE_HTTP_RETRIES": "abc"}, "CIBRIDGE_HTTP_RETRIES"),
        ({"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"}, "REQUESTS_CA_BUNDLE"),
    ],
)
def test_bad_http_settings_are_usage_errors(cli, stand_ins: StandIns, env, named: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "wecom", env={**stand_ins.env(), **env})
    assert result.code == 2, result.all
    assert named in result.all and "Traceback" not in result.all


def test_huge_error_body_is_cut_and_server_text_cannot_forge_log_lines(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path
) -> None:
    forged = b"\x1b[31m\r\n::error::forged\x1b[0Ksection_start:1:x\r\n" + b"x" * 5_000_000
    stand_ins.override("/webhook/receive", _answer(400, forged))
    summary = tmp_path / "summary.md"
    env = {
        **stand_ins.env(),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    result = _notify(cli, env, "webhook")
    assert result.code == 1
    assert "\x1b" not in result.all and "\r" not in result.all
    assert "\n::error::forged" not in result.all
    assert len(result.all) < 20_000
    assert len(summary.read_text()) < 5_000


def test_an_echoed_webhook_path_is_redacted(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    url = stand_ins.env()["TEAMS_WEBHOOK_URL"]
    echoed = f"no such workflow: {url.split('://', 1)[1]}".encode()
    path = url.split(stand_ins.base, 1)[1].split("?")[0]
    stand_ins.override(path, _answer(404, echoed))
    result = _notify(cli, {"TEAMS_WEBHOOK_URL": url}, "teams")
    assert result.code == 1
    assert standins.TEAMS_SIG not in result.all
    assert path.rsplit("/", 1)[-1] not in result.all or len(path.rsplit("/", 1)[-1]) < 8
