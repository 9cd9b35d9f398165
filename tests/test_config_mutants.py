"""Behaviour of config.py that mutation testing (mutmut 3) showed no test pinned down: values
in lists, secrets registered by ``config check``/``show``, secret names and files at their
edges, and a configuration built in memory (the demo's) that has no file."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from cibridge.config.loader import Config, load
from cibridge.config.secrets import MAX_SECRET_BYTES, NotSet, lookup_secret
from cibridge.core import redact
from cibridge.core.errors import CibridgeError

CHECKS = ("post_deployment_validation", "health_check_validation", "http_checks")


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return load([path], env or {})


def _masked(value: str) -> bool:
    return redact.redact(f"before {value} after") == f"before {redact.MASK} after"


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def test_a_config_built_in_memory_reads_its_values() -> None:
    # The demo builds its configuration from the notify section alone: no file, no lines.
    config = Config(data={"notify": {"locale": "${LOCALE:-en}"}}, env={})
    assert config.value("notify", "locale") == "en"
    with pytest.raises(NotSet) as caught:
        Config(data={"notify": {"locale": "${LOCALE}"}}, env={}).value("notify", "locale")
    assert caught.value.message == "(no config file): ${LOCALE} is not set"


LIST_OF_CHECKS = """\
post_deployment_validation:
  health_check_validation:
    http_checks:
      - name: api
        url: ${HEALTH_URL}
"""


def test_check_resolves_values_inside_lists(tmp_path: Path) -> None:
    findings = _load(tmp_path, LIST_OF_CHECKS).check()
    assert not findings.errors
    assert len(findings.warnings) == 1
    assert "c.yml:5: ${HEALTH_URL} is not set" in findings.warnings[0]


def test_show_prints_values_inside_lists(tmp_path: Path) -> None:
    env = {"HEALTH_URL": "https://svc.example/health"}
    shown = _load(tmp_path, LIST_OF_CHECKS, env).show()
    section = shown["post_deployment_validation"]["health_check_validation"]
    assert section["http_checks"] == [{"name": "api", "url": "https://svc.example/health"}]


SECRET_FROM_VARIABLE = """\
integration_configs:
  project_management:
    jira:
      password: ${DB_PASSPHRASE}
"""


@pytest.mark.parametrize("command", ["check", "show"])
def test_check_and_show_register_the_secrets_they_resolve(tmp_path: Path, command: str) -> None:
    # The variable's name says nothing about a credential: only the key makes it secret.
    config = _load(tmp_path, SECRET_FROM_VARIABLE, {"DB_PASSPHRASE": "correct-horse-9"})
    getattr(config, command)()
    assert _masked("correct-horse-9")


def test_show_tells_an_empty_secret_from_a_set_one(tmp_path: Path) -> None:
    text = SECRET_FROM_VARIABLE.replace("${DB_PASSPHRASE}", "''") + "      token: set-token-1\n"
    jira = _load(tmp_path, text).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password": "", "token": "***"}


def test_a_dotted_secret_name_reads_its_variable_with_underscores() -> None:
    env = {"SLACK_WEBHOOK_URL": "https://hooks.example.com/dotted"}
    assert (
        lookup_secret("slack.webhook-url", "c.yml:3", env, required=True)
        == env["SLACK_WEBHOOK_URL"]
    )


def test_a_secret_name_may_contain_capital_letters() -> None:
    env = {"XRAY_API_TOKEN": "xray-token-value"}
    assert lookup_secret("XRAY_API_TOKEN", "c.yml:3", env, required=True) == "xray-token-value"


def test_dot_dot_is_refused_also_when_no_secrets_dir_is_set() -> None:
    with pytest.raises(CibridgeError) as caught:
        lookup_secret("..", "c.yml:3", {}, required=True)
    assert not isinstance(caught.value, NotSet)
    assert "must be a name inside CIBRIDGE_SECRETS_DIR" in caught.value.message


def test_a_secret_file_keeps_everything_but_its_line_ending(secrets_dir: Path) -> None:
    (secrets_dir / "hook").write_bytes(b"ends-with-X\r\n")
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    assert lookup_secret("hook", "c.yml:3", env, required=True) == "ends-with-X"


@pytest.fixture
def socket_file(secrets_dir: Path) -> Iterator[Path]:
    path = secrets_dir / "hook"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def test_a_secret_that_cannot_be_opened_is_a_usage_error(socket_file: Path) -> None:
    # A socket cannot be opened, even by root: the error names it instead of crashing.
    env = {"CIBRIDGE_SECRETS_DIR": str(socket_file.parent)}
    with pytest.raises(CibridgeError) as caught:
        lookup_secret("hook", "c.yml:3", env, required=True)
    assert caught.value.exit_code == 2
    assert "secret file CIBRIDGE_SECRETS_DIR/hook cannot be read" in caught.value.message


def test_an_oversized_secret_file_is_refused_without_reading_it_all(secrets_dir: Path) -> None:
    with (secrets_dir / "hook").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk used
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    tracemalloc.start()
    try:
        with pytest.raises(CibridgeError) as caught:
            lookup_secret("hook", "c.yml:3", env, required=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "is larger than 64 KiB" in caught.value.message
    assert peak < 16 * MAX_SECRET_BYTES


def test_show_prints_what_it_cannot_resolve_instead_of_failing(tmp_path: Path) -> None:
    text = SECRET_FROM_VARIABLE.replace("password: ${DB_PASSPHRASE}", "base_url: ${JIRA_URL}")
    jira = _load(tmp_path, text).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"base_url": "<unresolved: ${JIRA_URL} is not set>"}


BAD_KEY = "CIBRIDGE_KEY key #1 is not a valid Fernet key (32 url-safe base64-encoded bytes)"


def test_show_prints_an_enc_value_no_valid_key_can_open(tmp_path: Path) -> None:
    text = SECRET_FROM_VARIABLE.replace("${DB_PASSPHRASE}", "enc:gAAAAABfake")
    config = _load(tmp_path, text, {"CIBRIDGE_KEY": "not-a-fernet-key"})
    jira = config.show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password": f"<unresolved: {BAD_KEY}>"}


def test_show_prints_a_ref_whose_enc_value_no_valid_key_can_open(tmp_path: Path) -> None:
    text = SECRET_FROM_VARIABLE.replace("password: ${DB_PASSPHRASE}", "password_ref: jira-pw")
    env = {"CIBRIDGE_KEY": "not-a-fernet-key", "JIRA_PW": "enc:gAAAAABfake"}
    jira = _load(tmp_path, text, env).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password_ref": f"jira-pw (ERROR: {BAD_KEY})"}
