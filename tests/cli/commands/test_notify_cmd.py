"""`cibridge notify` end to end: every provider in one step, targets from options or
config, statuses from the CI job, template overrides, and faults that stay with their
target, are reported clearly and leak nothing."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from cibridge.demo.standins.server import Request
from tests.github_job import github_env, outputs

ALL = ["slack", "dingtalk", "feishu", "wecom", "teams", "webhook"]


def _to(*providers: str) -> list[str]:
    return [arg for name in providers for arg in ("--to", name)]


def test_every_provider_in_one_step(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--status", "success", *_to(*ALL), env={**github_env(tmp_path), **stand_ins.env()}
    )
    assert result.code == 0, result.all
    assert sorted({r.service for r in stand_ins.received}) == sorted(ALL)
    assert all(r.status < 300 for r in stand_ins.received)
    assert outputs(tmp_path)["ok"] == "true"


def test_one_failing_target_does_not_stop_the_others(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**github_env(tmp_path), **stand_ins.env(), "DINGTALK_SECRET": "SECwrong"}
    result = cli("notify", "--status", "success", *_to("dingtalk", "slack", "feishu"), env=env)
    assert result.code == 1
    assert {r.service for r in stand_ins.received} == {"dingtalk", "slack", "feishu"}
    assert "DingTalk rejected the message: errcode 310000" in result.out
    assert outputs(tmp_path)["ok"] == "false"
    summary = (tmp_path / "github_summary").read_text()
    assert "| DingTalk | ❌ |" in summary and "| Slack | ✅ | delivered |" in summary


def test_missing_configuration_for_one_target_is_exit_2_others_still_sent(
    cli, stand_ins: StandIns
) -> None:  # type: ignore[no-untyped-def]
    env = {"SLACK_WEBHOOK_URL": stand_ins.env()["SLACK_WEBHOOK_URL"]}
    result = cli("notify", "--status", "success", *_to("teams", "slack"), env=env)
    assert result.code == 2
    assert "Teams: no webhook URL is configured" in result.err
    assert "TEAMS_WEBHOOK_URL" in result.err
    assert [r.service for r in stand_ins.received] == ["slack"]


def test_no_target(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify")
    assert result.code == 2
    assert "no provider to notify" in result.err


def test_targets_from_config(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text("notify:\n  to: [slack, wecom]\n")
    result = cli("notify", "--status", "success", env=stand_ins.env())
    assert result.code == 0, result.all
    assert [r.service for r in stand_ins.received] == ["slack", "wecom"]


def test_disabled_provider_is_skipped(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    slack:\n      enabled: false\n"
    )
    result = cli("notify", "--status", "success", "--to", "slack", env=stand_ins.env())
    assert result.code == 0
    assert "disabled in the config" in result.out
    assert stand_ins.received == []


def test_status_from_gitlab_job_status_and_dotenv(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **stand_ins.env(),
        "GITLAB_CI": "true",
        "CI_JOB_STATUS": "failed",
        "CI_PROJECT_PATH": "acme/checkout",
        "CIBRIDGE_DOTENV": str(tmp_path / "out.env"),
        "SLACK_BOT_TOKEN": "xoxb-standin-token",
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
    }
    result = cli("notify", "--to", "slack", "--channel", "#deployments", env=env)
    assert result.code == 0, result.all
    assert stand_ins.of("slack")[0].json["text"].startswith("❌")
    dotenv = (tmp_path / "out.env").read_text().splitlines()
    assert dotenv[0] == "ok=true"
    assert dotenv[1].startswith("message_id=") and dotenv[2] == "channel_id=C0DEPLOYS"


def test_a_review_event_names_its_pull_request(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import FIXTURES
    from tests.github_job import job_env

    env = job_env(
        "pull_request_review",
        FIXTURES / "github_pull_request_review.json",
        GITHUB_REF="refs/pull/2/merge",
        GITHUB_REF_NAME="2/merge",
    )
    result = cli("notify", "--status", "success", "--to", "slack", env={**env, **stand_ins.env()})
    assert result.code == 0, result.all
    text = json.dumps(stand_ins.of("slack")[0].json)
    assert "Pull request #2: Update the README with new information." in text
    assert "*Branch:*\\nchanges" in text and "2/merge" not in text
    assert '"url": "https://github.com/Codertocat/Hello-World/pull/2"' in text


GITLAB_MR = {
    "GITLAB_CI": "true",
    "CI_JOB_STATUS": "success",
    "CI_PROJECT_PATH": "acme/checkout",
    "CI_PROJECT_URL": "https://gitlab.example.com/acme/checkout",
    "CI_MERGE_REQUEST_IID": "1",
    "CI_MERGE_REQUEST_TITLE": "Retries",
    "CI_ENVIRONMENT_NAME": "review/feature",
    "CI_ENVIRONMENT_URL": "https://feature.review.example.com",
}


def test_gitlab_merge_request_and_environment_link(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), **GITLAB_MR, "CIBRIDGE_DOTENV": str(tmp_path / "out.env")}
    result = cli("notify", "--to", "slack", "--event", "deploy", env=env)
    assert result.code == 0, result.all
    text = json.dumps(stand_ins.of("slack")[0].json, ensure_ascii=False)
    assert "Merge request !1: Retries" in text and "Pull request" not in text
    assert "<https://feature.review.example.com|review/feature>" in text
    assert '"url": "https://gitlab.example.com/acme/checkout/-/merge_requests/1"' in text


def test_a_set_environment_url_wins_over_gitlabs(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**stand_ins.env(), **GITLAB_MR, "CIBRIDGE_DOTENV": str(tmp_path / "out.env")}
    result = cli(
        "notify", "--to", "slack", "--event", "deploy", "--set", "environment_url=https://x.example",
        env=env,
    )  # fmt: skip
    assert result.code == 0, result.all
    text = json.dumps(stand_ins.of("slack")[0].json)
    assert "https://x.example" in text and "feature.review.example.com" not in text


def test_invalid_status(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("notify", "--status", "success", "--to", "slack", "--status", "meh")
    assert result.code == 2
    assert "status 'meh' is not one of" in result.err


def test_template_override_per_provider(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    custom = tmp_path / "mine.yml.j2"
    custom.write_text(
        "text: \"Deployed {{ repository }} by {{ actor }}: {{ commits[0].title if commits else '-' }}\"\n"
    )
    env = {**github_env(tmp_path), **stand_ins.env()}
    result = cli(
        "notify",
        "--status",
        "success",
        *_to("slack", "wecom"),
        "--template",
        f"slack={custom}",
        env=env,
    )
    assert result.code == 0, result.all
    assert stand_ins.of("slack")[0].json == {
        "text": 'Deployed acme/checkout by mona: Fix "quotes" and `ticks` {{ 7*7 }}'
    }
    assert "markdown" in stand_ins.of("wecom")[0].json


def test_repository_template_directory_overrides_builtin(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / ".cibridge" / "templates" / "dingtalk"
    folder.mkdir(parents=True)
    (folder / "deploy.yml.j2").write_text(
        'msgtype: text\ntext:\n  content: "{{ t.deploy }} {{ environment }} {{ message.status_text }}"\n'
    )
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "dingtalk",
        "--event",
        "deploy",
        "--locale",
        "zh-CN",
        "--set",
        "environment=生产",
        env=stand_ins.env(),
    )
    assert result.code == 0, result.all
    assert stand_ins.of("dingtalk")[0].json["text"]["content"] == "部署通知 生产 成功"


def test_broken_template_is_exit_2_with_place(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yml.j2"
    broken.write_text("text: ok\nmore: {{ missing_value }}\n")
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--template",
        str(broken),
        env=stand_ins.env(),
    )
    assert result.code == 2
    assert "broken.yml.j2:2: 'missing_value' is undefined" in result.err
    assert stand_ins.received == []


def test_unreachable_provider_is_exit_1(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify",
        "--status",
        "success",
        "--to",
        "wecom",
        env={"WECOM_WEBHOOK_URL": "http://127.0.0.1:9/cgi-bin/webhook/send?key=abcdefgh"},
    )
    assert result.code == 1
    assert "WeCom: cannot reach http://127.0.0.1:9: [Errno 111] Connection refused" in result.err
    assert "abcdefgh" not in result.all


def test_dry_run_prints_every_target(cli, stand_ins: StandIns) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "notify", "--status", "success", "--dry-run", *_to("slack", "dingtalk"), env=stand_ins.env()
    )
    assert result.code == 0
    assert stand_ins.received == []
    assert result.out.count('"provider":') == 2
    assert "(webhook address redacted)" in result.out
    body = result.out.split("── Slack: request (dry run, not sent)\n", 1)[1]
    assert json.loads(body[: body.index("\n}\n") + 2])["provider"] == "Slack"


def test_a_provider_timeout_reads_like_the_gates_durations(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # "1m30s" was "not a duration" here while every gate duration took it.
    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  communication:\n    wecom:\n      timeout: 1m30s\n"
    )
    result = cli("notify", "--status", "success", "--to", "wecom", env=stand_ins.env())
    assert result.code == 0, result.all


def test_provider_timeout_from_config(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        (tmp_path / ".cibridge.yml").write_text(
            "integration_configs:\n  communication:\n    wecom:\n      timeout: 500ms\n"
        )
        env = {
            "WECOM_WEBHOOK_URL": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k",
            "CIBRIDGE_HTTP_RETRIES": "0",
        }
        result = cli("notify", "--status", "success", "--to", "wecom", env=env)
    assert result.code == 1
    assert "WeCom: POST http://127.0.0.1:" in result.err and "timed out after 0.5s" in result.err


# -- faults found by trying notify as an attacker and as a new user (issue 6) -------------


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
    """Found by an attack review of notify (issue 6): a redirect from the Slack API to another
    host must carry neither the token nor a bodiless retry there."""
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
    """Found by an attack review of notify (issue 6): a password in a webhook URL that cannot
    be used must not be printed in the error."""
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
    """Found by an attack review of notify (issue 6): a target answering with a cut body, a
    broken status line or a garbage Retry-After fails alone; the next provider still goes
    out, without an internal error."""
    stand_ins.override("/webhook/receive", handler)
    env = {**stand_ins.env()}
    result = _notify(cli, env, "webhook", "wecom")
    assert result.code == 1, result.all
    assert expected in result.all
    assert "WeCom: delivered" in result.out  # the next provider still went out
    assert "internal error" not in result.all and "Traceback" not in result.all


def test_a_space_in_the_url_hides_the_secret_path(cli) -> None:  # type: ignore[no-untyped-def]
    """Found by an attack review of notify (issue 6): a URL with a space is refused without
    showing its secret path."""
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
    """Found by an attack review of notify (issue 6): bad HTTP settings (retries, CA bundle)
    are usage errors naming the variable, not tracebacks."""
    result = cli("notify", "--status", "success", "--to", "wecom", env={**stand_ins.env(), **env})
    assert result.code == 2, result.all
    assert named in result.all and "Traceback" not in result.all


def test_huge_error_body_is_cut_and_server_text_cannot_forge_log_lines(  # type: ignore[no-untyped-def]
    cli, stand_ins: StandIns, tmp_path
) -> None:
    """Found by an attack review of notify (issue 6): a huge error body is cut, and a server's
    text cannot forge workflow commands, log sections or terminal escapes."""
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
    """Found by an attack review of notify (issue 6): a server that echoes the webhook's secret
    path in its error must not get it printed."""
    url = stand_ins.env()["TEAMS_WEBHOOK_URL"]
    echoed = f"no such workflow: {url.split('://', 1)[1]}".encode()
    path = url.split(stand_ins.base, 1)[1].split("?")[0]
    stand_ins.override(path, _answer(404, echoed))
    result = _notify(cli, {"TEAMS_WEBHOOK_URL": url}, "teams")
    assert result.code == 1
    assert standins.TEAMS_SIG not in result.all
    assert path.rsplit("/", 1)[-1] not in result.all or len(path.rsplit("/", 1)[-1]) < 8


def test_a_dry_run_hides_every_credential_header() -> None:
    # The preview hid Authorization and X-Api-Key only; the transport and the config count
    # PRIVATE-TOKEN and signature headers as credentials too.
    from cibridge.notify.providers import Delivery
    from cibridge.notify.service import preview

    headers = {
        "Authorization": "Bearer xoxb-1",
        "X-Api-Key": "k-1",
        "PRIVATE-TOKEN": "glpat-1",
        "X-Cibridge-Signature-256": "sha256=ab",
        "Content-Type": "application/json",
    }
    shown = preview("Webhook", Delivery("POST", "https://h/x", {}, headers))["headers"]
    assert shown == {**dict.fromkeys(list(headers)[:4], "***"), "Content-Type": "application/json"}
