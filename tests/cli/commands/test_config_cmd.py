"""``cibridge config``: ``check`` passes nothing that will fail and its help says which
problems are errors; ``schema`` prints the JSON Schema. What ``show`` prints is pinned in
tests/config/test_loader.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cibridge.cli.main import main
from cibridge.config import encryption


def _check(cli, tmp_path: Path, text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.yml"
    path.write_text(text)
    return cli("--config", str(path), "config", "check", env=env)


def test_check_fails_on_enc_value_no_key_decrypts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = encryption.encrypt("x-secret", {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    text = f"integrations:\n  dingtalk:\n    secret: {token}\n"
    result = _check(cli, tmp_path, text, {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    assert result.code == 2
    assert f"{tmp_path / 'c.yml'}:3: cannot decrypt the enc: value" in result.err
    assert "hint: " in result.err and "CIBRIDGE_KEY" in result.err
    assert "ok:" not in result.out


def test_check_fails_on_enc_value_in_a_plain_key(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = encryption.encrypt("x", {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    text = f"notify:\n  templates_dir: {token}\n"
    result = _check(cli, tmp_path, text, {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    assert result.code == 2
    assert ":2: cannot decrypt" in result.err


def test_check_passes_when_the_key_decrypts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("x-secret", {"CIBRIDGE_KEY": key})
    text = f"integrations:\n  dingtalk:\n    secret: {token}\n"
    result = _check(
        cli, tmp_path, text, {"CIBRIDGE_KEY": f"{Fernet.generate_key().decode()},{key}"}
    )
    assert result.code == 0, result.err
    assert result.out.startswith("ok: ")
    assert "warning" not in result.err


def test_check_fails_on_an_invalid_key(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "integrations:\n  dingtalk:\n    secret: enc:gAAAA\n"
    result = _check(cli, tmp_path, text, {"CIBRIDGE_KEY": "not-a-key"})
    assert result.code == 2
    assert "key #1 is not a valid Fernet key" in result.err


def test_check_warns_when_no_key_is_set(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _check(cli, tmp_path, "integrations:\n  dingtalk:\n    secret: enc:gAAAA\n")
    assert result.code == 0
    assert f"warning: {tmp_path / 'c.yml'}:3: CIBRIDGE_KEY is not set" in result.err
    assert "1 warning(s)" in result.out


def test_check_warns_on_unset_var_and_missing_ref(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (
        "integrations:\n  slack:\n    webhook_url: ${HOOK_NOT_SET}\n"
        "  dingtalk:\n    secret_ref: ding-secret\n"
    )
    result = _check(cli, tmp_path, text)
    assert result.code == 0, result.err
    assert f"warning: {tmp_path / 'c.yml'}:3: ${{HOOK_NOT_SET}} is not set" in result.err
    assert f"warning: {tmp_path / 'c.yml'}:5: secret 'ding-secret' is not set" in result.err
    assert "DING_SECRET" in result.err
    assert "2 warning(s)" in result.out


def test_check_says_nothing_of_the_secrets_of_a_disabled_integration(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The seed disables azure_devops: its token_ref is read by nothing, so its absence is
    no warning; a disabled block's value that can never work is still an error."""
    text = (
        "integration_configs:\n  project_management:\n    azure_devops:\n      enabled: false\n"
        "      auth: {type: pat, token_ref: azure-devops-pat}\n"
        "    jira:\n      enabled: true\n      auth: {type: pat, token_ref: jira-pat}\n"
    )
    result = _check(cli, tmp_path, text)
    assert result.code == 0, result.err
    assert "azure-devops-pat" not in result.err
    assert "secret 'jira-pat' is not set" in result.err and "1 warning(s)" in result.out
    bad = text.replace("token_ref: azure-devops-pat", "token_ref: ../outside")
    assert _check(cli, tmp_path, bad).code == 2


def test_check_errors_on_a_ref_outside_the_secrets_dir(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "integrations:\n  dingtalk:\n    secret_ref: ../../etc/passwd\n"
    result = _check(cli, tmp_path, text, {"CIBRIDGE_SECRETS_DIR": str(tmp_path)})
    assert result.code == 2
    assert ":3: secret '../../etc/passwd' must be a name inside CIBRIDGE_SECRETS_DIR" in result.err


def test_check_reports_every_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = encryption.encrypt("x", {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    text = f"integrations:\n  dingtalk:\n    secret: {token}\n    webhook_url_ref: /etc/passwd\n"
    result = _check(cli, tmp_path, text, {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    assert result.code == 2
    assert ":3: cannot decrypt" in result.err
    assert ":4: secret '/etc/passwd' must be a name" in result.err


def test_explicit_empty_file_is_an_empty_configuration(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    result = cli("--config", str(empty), "config", "check")
    assert result.code == 0
    assert result.out.startswith(f"ok: {empty} (nothing)")
    comments = tmp_path / "comments.yml"
    comments.write_text("# nothing configured yet\n")
    from_env = cli("config", "check", env={"CIBRIDGE_CONFIG": str(comments)})
    assert from_env.code == 0
    assert from_env.out.startswith(f"ok: {comments} (nothing)")
    assert "no configuration file found" not in from_env.out + result.out


def test_check_help_says_which_problems_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["config", "check", "--help"])
    text = capsys.readouterr().out
    errors, _, warnings = text.partition("Warnings (exit 0)")
    assert "Errors (exit 2)" in errors
    assert "an enc: value that no key in CIBRIDGE_KEY decrypts" in errors
    assert "${VAR} that is not set" in warnings
    assert "*_ref secret that is not set" in warnings


def test_config_schema_command_prints_it(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "schema")
    assert json.loads(result.out)["title"].startswith("cibridge configuration")


GATE = """\
integration_configs:
  monitoring:
    prometheus:
      url: {url}
post_deployment_validation:
  metrics_validation:
    - {{name: errors, query: up, max_value: 1, duration: {duration}}}
  health_check_validation:
    http_checks:
      - {{url: 'http://127.0.0.1:1/health', expected_status: {status}, timeout: {timeout}}}
  rollback_policy:
    max_failures: {failures}
"""
GOOD_GATE = {
    "url": "http://prom:9090",
    "duration": "5m",
    "status": 200,
    "timeout": "5s",
    "failures": 3,
}


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"failures": "three"}, ":12: max_failures is 'three'"),
        ({"duration": '"5 minutes"'}, ":7: duration"),
        ({"status": "ok"}, ":10: expected_status has 'ok'"),
        ({"url": "prom:9090"}, "Prometheus url"),
        ({"timeout": "fast"}, ":10: timeout"),
    ],
)
def test_check_reports_what_the_gate_would_refuse(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, bad: dict[str, object], named: str
) -> None:
    from cibridge.config import loader
    from cibridge.gate.validate import validate

    text = GATE.format(**{**GOOD_GATE, **bad})
    result = _check(cli, tmp_path, text)
    assert result.code == 2, result.all
    assert named in result.err
    # The very message gate.validate (the gate's own loading) gives, not a copy of it.
    [problem] = validate(loader.load([tmp_path / "c.yml"], {}), {})
    assert problem.message in result.err


def test_check_passes_a_good_gate_and_leaves_an_unset_url_to_the_ci(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    assert _check(cli, tmp_path, GATE.format(**GOOD_GATE)).code == 0
    unset = GATE.format(**{**GOOD_GATE, "url": "${PROM_URL_IN_CI}"})
    result = _check(cli, tmp_path, unset)
    assert result.code == 0, result.err
    assert "${PROM_URL_IN_CI} is not set" in result.err


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (
            'version_pattern: "^v(\\\\d+"',
            "version_pattern '^v(\\\\d+' is not a valid regular expression",
        ),
        ("released_within: soon", "'soon' is not a duration"),
    ],
)
def test_check_reports_what_the_trigger_would_refuse(
    cli, tmp_path: Path, setting: str, complaint: str
) -> None:  # type: ignore[no-untyped-def]
    text = (
        "deployment_triggers:\n  jira:\n    version_trigger:\n      enabled: true\n"
        f"      {setting}\n      pipeline_mapping: {{'.*': deploy}}\n"
    )
    result = _check(cli, tmp_path, text)
    assert result.code == 2, result.all
    assert complaint in result.err


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        (
            "integration_configs:\n  communication:\n    slack:\n      webhook_url: hooks.slack.com/x\n",
            "Slack webhook_url (",
        ),
        (
            "integrations:\n  dingtalk:\n    webhook_url: oapi.dingtalk.com/robot/send\n",
            "DingTalk webhook_url (",
        ),
        (
            "integration_configs:\n  communication:\n    slack:\n      bot_token: xoxb-1\n"
            "      api_url: slack.example.com/api\n",
            "Slack api_url (",
        ),
        (
            "integration_configs:\n  communication:\n    teams:\n      timeout: fast\n",
            ":4: 'fast' is not a duration",
        ),
        (
            "integration_configs:\n  communication:\n    slack:\n      timeout: 0\n",
            ":4: a timeout of 0 lets no answer arrive",
        ),
        (
            "integration_configs:\n  project_management:\n    jira:\n"
            "      base_url: example.atlassian.net\n",
            "Jira base_url (",
        ),
        (
            "integration_configs:\n  project_management:\n    jira:\n"
            "      base_url: https://example.atlassian.net\n      timeout: soon\n",
            ":5: 'soon' is not a duration",
        ),
    ],
)
def test_check_reports_what_notify_and_jira_would_refuse(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, section: str, complaint: str
) -> None:
    result = _check(cli, tmp_path, section)
    assert result.code == 2, result.all
    assert complaint in result.err
    if "_url" in complaint:
        assert "the value has no scheme, so it is not an http(s) URL" in result.err


def test_check_leaves_what_the_ci_sets_to_the_ci_and_skips_disabled_sections(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    text = (
        "integration_configs:\n  communication:\n    slack:\n      webhook_url_ref: SLACK_HOOK\n"
        "    teams:\n      enabled: false\n      webhook_url: not-a-url\n      timeout: fast\n"
        "  project_management:\n    jira:\n      project_mapping: {PROJ: x}\n"
    )
    result = _check(cli, tmp_path, text)
    assert result.code == 0, result.all
    assert "SLACK_HOOK" in result.err  # its warning: the CI may have it
    assert "not-a-url" not in result.all and "fast" not in result.all


def test_a_notify_refuses_what_check_reports(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The check and the send share the getter: the send refuses with the same words."""
    path = tmp_path / "c.yml"
    path.write_text("integration_configs:\n  communication:\n    teams:\n      timeout: fast\n")
    env = {"TEAMS_WEBHOOK_URL": "http://127.0.0.1:1/hook"}
    checked = cli("--config", str(path), "config", "check", env=env)
    sent = cli("--config", str(path), "notify", "--to", "teams", "--status", "success", env=env)
    assert checked.code == 2 and sent.code == 2, (checked.all, sent.all)
    complaint = f"{path}:4: 'fast' is not a duration"
    assert complaint in checked.err and complaint in sent.all


@pytest.mark.parametrize(
    "section",
    [
        "integration_configs:\n  project_management:\n    jira:\n      base_url: ${JIRA_SITE}\n",
        "integration_configs:\n  communication:\n    slack:\n      api_url: ${SLACK_API}\n",
        "integration_configs:\n  communication:\n    teams:\n      timeout: ${TEAMS_WAIT}\n",
    ],
)
def test_an_unset_variable_in_a_checked_setting_stays_a_warning(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, section: str
) -> None:
    result = _check(cli, tmp_path, section)
    assert result.code == 0, result.all
    assert "is not set" in result.err and "error:" not in result.err


def test_an_api_url_a_provider_never_reads_is_not_checked(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "integrations:\n  dingtalk:\n    api_url: not-a-url\n"
    result = _check(cli, tmp_path, text)
    assert result.code == 0, result.all


def test_a_cloud_id_only_jira_section_is_checked_too(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "integrations:\n  jira:\n    cloud_id: abc-123\n    timeout: soon\n"
    result = _check(cli, tmp_path, text)
    assert result.code == 2 and ":4: 'soon' is not a duration" in result.err, result.all


def test_a_huge_timeout_is_a_usage_error_not_a_crash(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "integrations:\n  webhook:\n    timeout: 1" + "0" * 400 + "\n"
    result = _check(cli, tmp_path, text)
    assert result.code == 2 and "not a duration" in result.err, result.all
    bigger = _check(cli, tmp_path, "integrations:\n  webhook:\n    timeout: 1e12\n")
    assert bigger.code == 2 and "is more than a day" in bigger.err, bigger.all


def test_check_reads_the_azure_devops_block_as_boards_loads_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The design's block enabled: its secret not set here is a warning, like Jira's; a
    base_url without its scheme, which boards would refuse, is an error."""
    text = (
        "integration_configs:\n  project_management:\n    azure_devops:\n      enabled: true\n"
        '      base_url: "https://dev.azure.com"\n      organization: fabrikam\n'
        "      project: Fabrikam-Fiber\n      auth: {type: pat, token_ref: azure-devops-pat}\n"
    )
    result = _check(cli, tmp_path, text)
    assert result.code == 0, result.err
    assert "secret 'azure-devops-pat' is not set" in result.err and "1 warning(s)" in result.out
    set_here = _check(cli, tmp_path, text, {"AZURE_DEVOPS_PAT": "p"})
    assert set_here.code == 0 and "warning" not in set_here.err
    bad = _check(cli, tmp_path, text.replace('"https://dev.azure.com"', "dev.azure.com"))
    assert bad.code == 2 and "Azure DevOps base_url" in bad.err and "no scheme" in bad.err
