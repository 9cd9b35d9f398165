"""The environment mapping given at load is the only environment configuration sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cibridge.cli.main import main
from cibridge.config import encryption
from cibridge.config.loader import discover, load
from cibridge.config.secrets import NotSet
from cibridge.core.errors import CibridgeError


@pytest.fixture
def poisoned_os_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Everything a config could want, set in os.environ only (it must never be used)."""
    secrets = tmp_path / "os-secrets"
    secrets.mkdir()
    (secrets / "file-secret").write_text("FROM-OS-SECRETS-DIR")
    key = Fernet.generate_key().decode()
    poisoned = {
        "PROM_URL": "http://from-os-environ",
        "SLACK_WEBHOOK_URL": "https://hooks.example/from-os-environ",
        "CIBRIDGE_SECRETS_DIR": str(secrets),
        "CIBRIDGE_KEY": key,
        "CIBRIDGE_CONFIG": str(tmp_path / "from-os-environ.yml"),
    }
    for name, value in poisoned.items():
        monkeypatch.setenv(name, value)
    return poisoned


def _config_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "c.yml"
    path.write_text(
        "integration_configs:\n"
        "  monitoring:\n"
        "    prometheus:\n"
        "      url: ${PROM_URL}\n"
        "  communication:\n"
        "    slack:\n"
        "      webhook_url_ref: slack-webhook-url\n"
        "    dingtalk:\n"
        "      secret_ref: file-secret\n"
        "      webhook_url: " + token + "\n"
    )
    return path


def test_only_the_mapping_is_used(tmp_path: Path, poisoned_os_environ: dict[str, str]) -> None:
    os_key = poisoned_os_environ["CIBRIDGE_KEY"]
    token = encryption.encrypt("https://oapi.example/robot", {"CIBRIDGE_KEY": os_key})
    config = load([_config_file(tmp_path, token)], {"PROM_URL": "http://from-the-mapping"})

    url = config.value("integration_configs", "monitoring", "prometheus", "url")
    assert url == "http://from-the-mapping"
    with pytest.raises(NotSet, match="secret 'slack-webhook-url' is not set"):
        config.secret("integration_configs", "communication", "slack", "webhook_url")
    with pytest.raises(NotSet, match="secret 'file-secret' is not set"):
        config.secret("integration_configs", "communication", "dingtalk", "secret")
    with pytest.raises(encryption.MissingKey, match="CIBRIDGE_KEY is not set"):
        config.secret("integration_configs", "communication", "dingtalk", "webhook_url")


def test_the_mapping_supplies_everything(
    tmp_path: Path, poisoned_os_environ: dict[str, str]
) -> None:
    key = Fernet.generate_key().decode()
    secrets = tmp_path / "mapping-secrets"
    secrets.mkdir()
    (secrets / "file-secret").write_text("FROM-MAPPING-DIR\n")
    env = {
        "PROM_URL": "http://from-the-mapping",
        "SLACK_WEBHOOK_URL": "https://hooks.example/from-the-mapping",
        "CIBRIDGE_SECRETS_DIR": str(secrets),
        "CIBRIDGE_KEY": key,
    }
    token = encryption.encrypt("https://oapi.example/mapping-robot", env)
    config = load([_config_file(tmp_path, token)], env)
    communication = ("integration_configs", "communication")
    assert config.secret(*communication, "slack", "webhook_url") == env["SLACK_WEBHOOK_URL"]
    assert config.secret(*communication, "dingtalk", "secret") == "FROM-MAPPING-DIR"
    assert (
        config.secret(*communication, "dingtalk", "webhook_url")
        == "https://oapi.example/mapping-robot"
    )


def test_a_token_for_the_os_key_does_not_decrypt_with_the_mapping_key(
    poisoned_os_environ: dict[str, str],
) -> None:
    token = encryption.encrypt("v", {"CIBRIDGE_KEY": poisoned_os_environ["CIBRIDGE_KEY"]})
    other = {"CIBRIDGE_KEY": Fernet.generate_key().decode()}
    with pytest.raises(CibridgeError, match="here: cannot decrypt"):
        encryption.decrypt(token, "here", other)


def test_discover_reads_config_env_from_the_mapping(
    tmp_path: Path, poisoned_os_environ: dict[str, str]
) -> None:
    assert discover([], tmp_path, {}) == []
    listed = discover([], tmp_path, {"CIBRIDGE_CONFIG": "a.yml,b.yml"})
    assert listed == [Path("a.yml"), Path("b.yml")]
    assert discover(["x.yml"], tmp_path, {"CIBRIDGE_CONFIG": "a.yml"}) == [Path("x.yml")]
    (tmp_path / ".cibridge.yml").write_text("")
    assert discover([], tmp_path, {}) == [tmp_path / ".cibridge.yml"]


def test_cli_passes_its_env_argument_down(
    tmp_path: Path, poisoned_os_environ: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config_file(tmp_path, "plain-value")
    code = main(["--config", str(path), "config", "show"], env={"PROM_URL": "http://mapped"})
    out = capsys.readouterr().out
    assert code == 0
    assert "url: http://mapped" in out
    assert "slack-webhook-url (MISSING: set SLACK_WEBHOOK_URL)" in out
    assert "file-secret (MISSING: set FILE_SECRET)" in out
