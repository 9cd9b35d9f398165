"""Run commands with canary secrets everywhere and grep every byte they produce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.conftest import SEED, run_process
from tests.github_job import github_env
from tests.smtp_server import PASSWORD as SMTP_PASSWORD
from tests.smtp_server import smtp_server

CANARIES = [
    "standinhooksecret",
    standins.DINGTALK_TOKEN,
    standins.DINGTALK_SECRET,
    standins.FEISHU_HOOK,
    standins.FEISHU_SECRET,
    standins.WECOM_KEY,
    standins.TEAMS_SIG,
    standins.WEBHOOK_SECRET,
    standins.SLACK_TOKEN,
    "canary-jira-client-secret",
    "canary-prometheus-password",
    standins.JIRA_TOKEN,
    standins.MATTERMOST_HOOK,
    standins.MATTERMOST_TOKEN,
    standins.DISCORD_TOKEN,
    SMTP_PASSWORD,
    standins.TELEGRAM_TOKEN,
    standins.GOOGLE_CHAT_KEY,
    standins.GOOGLE_CHAT_TOKEN,
]


def _forms(canary: str) -> set[str]:
    """A canary as it could leak: as is, percent-encoded, base64 (Basic auth), JSON-escaped."""
    import base64
    import json
    from urllib.parse import quote, quote_plus

    return {
        canary,
        quote(canary, safe=""),
        quote_plus(canary),
        base64.b64encode(canary.encode()).decode().rstrip("="),
        json.dumps(canary)[1:-1],
    }


def _check(texts: list[str]) -> None:
    forms = {form: canary for canary in CANARIES for form in _forms(canary)}
    for text in texts:
        for line in text.splitlines():
            if line.startswith("::add-mask::"):
                continue  # the one place a secret must appear: telling the runner to mask it
            for form, canary in forms.items():
                assert form not in line, f"{canary!r} leaked (as {form!r}) in: {line[:200]}"


@pytest.fixture
def canary_env(stand_ins: StandIns, tmp_path: Path) -> Iterator[dict[str, str]]:
    key = Fernet.generate_key().decode()
    CANARIES.append(key)
    # E-mail goes to a real SMTP server (STARTTLS, then a login with the canary password).
    with smtp_server(tmp_path / "smtp") as mailbox:
        yield _canary_env(stand_ins, tmp_path, key, mailbox.env())


def _canary_env(
    stand_ins: StandIns, tmp_path: Path, key: str, mail: dict[str, str]
) -> dict[str, str]:
    return {
        **github_env(tmp_path),
        **stand_ins.env(),
        **mail,
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        "JIRA_CLIENT_SECRET": "canary-jira-client-secret",
        "PROMETHEUS_PASSWORD": "canary-prometheus-password",
        "CIBRIDGE_KEY": key,
        "CIBRIDGE_HTTP_RETRIES": "0",
    }


EVERY_PROVIDER = [
    arg
    for name in (
        "slack",
        "dingtalk",
        "feishu",
        "wecom",
        "teams",
        "webhook",
        "mattermost",
        "discord",
        "email",
        "telegram",
        "google_chat",
    )
    for arg in ("--to", name)
]
# Each scenario with the exit code and a line it must print, so a command that fails
# early and prints nothing cannot pass as "leaked nothing".
SCENARIOS = [
    (
        ["notify", "--status", "success", *EVERY_PROVIDER, "--channel", "#deployments"],
        0,
        "delivered",
    ),
    (
        ["--dry-run", "notify", "--status", "running", *EVERY_PROVIDER, "--channel", "C0DEPLOYS"],
        0,
        "dry run, not sent",
    ),
    (
        ["-v", "notify", "--status", "failure", "--to", "slack", "--channel", "#missing-channel"],
        1,
        "channel_not_found",
    ),
    (
        ["-v", "notify", "--to", "dingtalk", "--to", "feishu", "--status", "failure"],
        0,
        "Feishu: delivered",
    ),
    (["config", "show"], 0, "integration_configs"),
    (["config", "check"], 0, "ok"),
    (["render", "--show-context"], 0, '"repository"'),
    (["demo", "--sample"], 0, "What each notification stand-in received"),
]


@pytest.mark.parametrize(
    ("argv", "code", "marker"),
    SCENARIOS,
    ids=lambda a: " ".join(a[:3]) if isinstance(a, list) else str(a),
)
def test_no_canary_in_any_output(
    argv: list[str], code: int, marker: str, canary_env: dict[str, str], tmp_path: Path
) -> None:
    configs = [a for p in sorted(SEED.glob("*.yml")) for a in ("--config", str(p))]
    result = run_process(*configs, *argv, env=canary_env, cwd=tmp_path)
    files = [tmp_path / "github_output", tmp_path / "github_summary"]
    _check([result.out, result.err, *(f.read_text() for f in files if f.exists())])
    assert result.code == code, result.all
    assert marker in result.all


def test_errors_with_secrets_in_the_url_are_redacted(
    canary_env: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **canary_env,
        "DINGTALK_WEBHOOK_URL": f"http://127.0.0.1:9/robot/send?access_token={standins.DINGTALK_TOKEN}",
    }
    result = run_process(
        "-v", "notify", "--status", "success", "--to", "dingtalk", env=env, cwd=tmp_path
    )
    assert result.code == 1
    _check([result.out, result.err])


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_mattermost_api_token_stays_out_of_every_output(
    canary_env: dict[str, str], stand_ins: StandIns, tmp_path: Path, dry_run: bool
) -> None:
    """A post, its update (read back, then patched) and a thread reply with the token."""
    env = {
        **canary_env,
        "MATTERMOST_TOKEN": standins.MATTERMOST_TOKEN,
        "MATTERMOST_URL": f"{stand_ins.base}/mattermost",
        "MATTERMOST_CHANNEL": standins.MATTERMOST_CHANNELS["deployments"],
    }
    flags = ["--dry-run"] if dry_run else ["-v"]
    first = run_process(*flags, "notify", "--status", "running", "--to", "mattermost", env=env,
                        cwd=tmp_path)  # fmt: skip
    assert first.code == 0, first.all
    texts = [first.out, first.err]
    post = next(iter(stand_ins.behaviour.mattermost_posts), "a" * 26)
    for option in ("--update", "--thread"):
        result = run_process(*flags, "notify", "--status", "success", "--to", "mattermost",
                             option, post, env=env, cwd=tmp_path)  # fmt: skip
        assert result.code == 0, result.all
        texts += [result.out, result.err]
    _check(texts)
    assert len(stand_ins.of("mattermost")) == (0 if dry_run else 4)


def test_a_refused_smtp_login_prints_no_password(
    canary_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**canary_env, "SMTP_PASSWORD": "canary-smtp-wrong-password"}
    CANARIES.append(env["SMTP_PASSWORD"])
    result = run_process("-v", "notify", "--status", "failure", "--to", "email", env=env,
                         cwd=tmp_path)  # fmt: skip
    assert result.code == 1, result.all
    assert "refused the login" in result.all
    _check([result.out, result.err])


def test_gitlab_dotenv_carries_no_secret(stand_ins: StandIns, tmp_path: Path) -> None:
    env = {
        **stand_ins.env(),
        "GITLAB_CI": "true",
        "CIBRIDGE_DOTENV": str(tmp_path / "o.env"),
        "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
        "SLACK_API_URL": f"{stand_ins.base}/slack/api",
    }
    result = run_process(
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--to",
        "dingtalk",
        "--channel",
        "C0DEPLOYS",
        env=env,
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    _check([result.out, result.err, (tmp_path / "o.env").read_text()])


def test_add_mask_comes_before_anything_else(canary_env: dict[str, str], tmp_path: Path) -> None:
    argv = [
        "notify",
        "--status",
        "success",
        "--to",
        "slack",
        "--to",
        "dingtalk",
        "--channel",
        "#deployments",
    ]
    lines = run_process(*argv, env=canary_env, cwd=tmp_path).out.splitlines()
    first_other = next(i for i, line in enumerate(lines) if not line.startswith("::add-mask::"))
    masked = lines[:first_other]
    for secret in (
        standins.SLACK_TOKEN,
        standins.DINGTALK_SECRET,
        canary_env["DINGTALK_WEBHOOK_URL"],
        canary_env["CIBRIDGE_KEY"],
    ):
        assert f"::add-mask::{secret}" in masked


JIRA_ISSUES = ["--issue", "PROJ-1", "--issue", "SEC-1", "--issue", "LOCK-1"]
JIRA_SCENARIOS = [
    # LOCK-1 cannot move and SEC-1 is invisible: error paths as well as the happy one.
    (["jira", *JIRA_ISSUES, "--transition", "Done", "--resolution", "Done", "--comment"], 1,
     "PROJ-1: transition done"),
    (["--dry-run", "jira", *JIRA_ISSUES, "--transition", "Done", "--resolution", "Done",
      "--comment", "--fix-version", "v9"], 1, "dry run, not sent"),
    (["-v", "jira", "--issue", "PROJ-2", "--deployment", "--status", "success",
      "--environment", "production"], 1, "Deployments API takes only OAuth"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code", "marker"), JIRA_SCENARIOS, ids=lambda a: " ".join(a[:4]) if isinstance(a, list) else str(a)
)  # fmt: skip
def test_no_canary_in_any_jira_output(
    argv: list[str], code: int, marker: str, canary_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**canary_env, "JIRA_CLIENT_SECRET": ""}  # the API token signs in, and must not show
    result = run_process(*argv, env=env, cwd=tmp_path)
    files = [tmp_path / "github_output", tmp_path / "github_summary"]
    _check([result.out, result.err, *(f.read_text() for f in files if f.exists())])
    assert result.code == code, result.all
    assert marker in result.all


def test_a_refused_jira_token_is_not_shown(canary_env: dict[str, str], tmp_path: Path) -> None:
    wrong = "canary-wrong-jira-token"
    CANARIES.append(wrong)
    env = {**canary_env, "JIRA_CLIENT_SECRET": "", "JIRA_API_TOKEN": wrong}
    result = run_process("-v", "jira", "--issue", "PROJ-1", "--comment", env=env, cwd=tmp_path)
    _check([result.out, result.err])
    assert result.code == 1 and "HTTP 401" in result.all


def test_an_attachment_with_canaries_leaves_masked(
    canary_env: dict[str, str], stand_ins: StandIns, tmp_path: Path
) -> None:
    """--attach: a text file holding every secret the run knows is masked before it leaves,
    so neither the bytes Slack receives nor anything printed carries one."""
    from cibridge.config.variables import VARIABLES

    # Each secret as a log would hold it: the variables' values (webhook addresses whole),
    # and every canary on its own except the stand-ins' webhook path segments that read as
    # lowercase words ("standinhooksecret"), which the redactor leaves alone outside their
    # URL by design (a word like "services" names a route; real hook ids are not words).
    secret = ("secret", "webhook")
    held = [canary_env[v.name] for v in VARIABLES if v.kind in secret and v.name in canary_env]
    values = set(canary_env.values())
    words = {c for c in CANARIES if re.fullmatch(r"[a-z]+(?:-[a-z]+)*", c) and c not in values}
    # CANARIES grows as other tests run (their Fernet keys, a wrong token): only the ones in
    # this run's environment are secrets this run knows.
    held += [c for c in CANARIES if c not in words and any(c in v for v in canary_env.values())]
    (tmp_path / "deploy.log").write_text("".join(f"value: {value}\n" for value in held))
    argv = ["notify", "--status", "success", "--to", "slack", "--channel", "#deployments"]
    for extra in ([], ["-v"], ["--dry-run"]):
        result = run_process(*extra, *argv, "--attach", "deploy.log", env=canary_env, cwd=tmp_path)
        files = [tmp_path / "github_output", tmp_path / "github_summary"]
        _check([result.out, result.err, *(f.read_text() for f in files if f.exists())])
        assert result.code == 0, result.all
        assert "attach" in result.all
    uploads = [f["data"] for f in stand_ins.behaviour.slack_files.values()]
    assert len(uploads) == 2  # the dry run sends nothing
    assert all(data == b"value: ***\n" * len(held) for data in uploads)
    _check([r.raw.decode(errors="replace") for r in stand_ins.received])
