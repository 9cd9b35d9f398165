"""``*_ref`` files stay inside CIBRIDGE_SECRETS_DIR, and every resolved secret is registered
with the redactor whatever its source."""

from __future__ import annotations

import os
import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cibridge.config import encryption
from cibridge.config.loader import Config, load
from cibridge.config.secrets import MAX_SECRET_BYTES, NotSet, lookup_secret
from cibridge.core import redact
from cibridge.core.errors import CibridgeError


def _is_redacted(secret: str) -> bool:
    return secret not in redact.redact(f"before {secret} after")


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def _refused(name: str, env: dict[str, str]) -> CibridgeError:
    with pytest.raises(CibridgeError) as caught:
        lookup_secret(name, "c.yml:7", env, required=True)
    assert caught.value.exit_code == 2
    assert "c.yml:7: secret" in caught.value.message
    assert "must be a name inside CIBRIDGE_SECRETS_DIR" in caught.value.message
    assert caught.value.hint
    return caught.value


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/b", "..", ".", "a\\b"])
def test_a_path_is_not_a_secret_name(secrets_dir: Path, name: str) -> None:
    _refused(name, {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)})


def test_a_path_is_refused_even_without_a_secrets_dir() -> None:
    _refused("../../etc/passwd", {})


def test_a_symlink_out_of_the_folder_is_refused(secrets_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("NOT-A-SECRET-FOR-YOU")
    (secrets_dir / "hook").symlink_to(outside)
    error = _refused("hook", {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)})
    assert "NOT-A-SECRET-FOR-YOU" not in str(error)


def test_a_folder_reached_through_a_symlink_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real-secrets"
    real.mkdir()
    (real / "hook").write_text("through-a-link")
    link = tmp_path / "linked-secrets"
    link.symlink_to(real)
    env = {"CIBRIDGE_SECRETS_DIR": str(link)}
    assert lookup_secret("hook", "w", env, required=True) == "through-a-link"


def test_kubernetes_style_links_inside_the_folder_work(secrets_dir: Path) -> None:
    # Kubernetes mounts each key as a link into a timestamped ..data directory.
    data = secrets_dir / "..2024_01_01"
    data.mkdir()
    (data / "hook").write_text("k8s-value\n")
    (secrets_dir / "..data").symlink_to(data.name)
    (secrets_dir / "hook").symlink_to("..data/hook")
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    assert lookup_secret("hook", "w", env, required=True) == "k8s-value"


def test_a_symlink_loop_reads_as_not_set(secrets_dir: Path) -> None:
    (secrets_dir / "a").symlink_to("b")
    (secrets_dir / "b").symlink_to("a")
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    assert lookup_secret("a", "w", env, required=False) is None


def test_secret_files_are_capped(secrets_dir: Path) -> None:
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    (secrets_dir / "fits").write_text("x" * MAX_SECRET_BYTES)
    assert lookup_secret("fits", "w", env, required=True) == "x" * MAX_SECRET_BYTES
    (secrets_dir / "big").write_text("x" * (MAX_SECRET_BYTES + 1))
    with pytest.raises(CibridgeError, match="w: secret file CIBRIDGE_SECRETS_DIR/big is larger"):
        lookup_secret("big", "w", env, required=True)


def test_a_directory_or_fifo_is_not_a_secret(secrets_dir: Path) -> None:
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}
    (secrets_dir / "folder").mkdir()
    with pytest.raises(CibridgeError, match="is not a regular file"):
        lookup_secret("folder", "w", env, required=True)
    os.mkfifo(secrets_dir / "pipe")  # would block a plain open() forever
    with pytest.raises(CibridgeError, match="is not a regular file"):
        lookup_secret("pipe", "w", env, required=True)


def test_a_binary_secret_file_is_an_error(secrets_dir: Path) -> None:
    (secrets_dir / "bin").write_bytes(b"\xff\xfe")
    with pytest.raises(CibridgeError, match="is not UTF-8 text"):
        lookup_secret("bin", "w", {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)}, required=True)


def test_environment_wins_over_the_file(secrets_dir: Path) -> None:
    (secrets_dir / "my-hook").write_text("from-file")
    env = {"CIBRIDGE_SECRETS_DIR": str(secrets_dir), "MY_HOOK": "from-env"}
    assert lookup_secret("my-hook", "w", env, required=True) == "from-env"
    assert lookup_secret("my-hook", "w", {**env, "MY_HOOK": ""}, required=True) == "from-file"


# Every source of a secret registers it with the redactor.


def _load(tmp_path: Path, text: str, env: dict[str, str]) -> Config:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return load([path], env)


def test_plain_value_under_a_secret_key_is_registered(tmp_path: Path) -> None:
    config = _load(tmp_path, "integrations:\n  dingtalk:\n    secret: SECplain-1234\n", {})
    assert not _is_redacted("SECplain-1234")
    assert config.secret("integrations", "dingtalk", "secret") == "SECplain-1234"
    assert _is_redacted("SECplain-1234")


def test_value_of_a_secret_key_is_registered(tmp_path: Path) -> None:
    config = _load(tmp_path, "integrations:\n  jira:\n    password: pw-plain-5678\n", {})
    assert config.value("integrations", "jira", "password") == "pw-plain-5678"
    assert _is_redacted("pw-plain-5678")


def test_ref_from_env_is_registered(tmp_path: Path) -> None:
    text = "integrations:\n  dingtalk:\n    secret_ref: ding-secret\n"
    config = _load(tmp_path, text, {"DING_SECRET": "SECfrom-env-1"})
    assert config.secret("integrations", "dingtalk", "secret") == "SECfrom-env-1"
    assert _is_redacted("SECfrom-env-1")


def test_ref_from_file_is_registered(tmp_path: Path, secrets_dir: Path) -> None:
    (secrets_dir / "ding-secret").write_text("SECfrom-file-2\n")
    text = "integrations:\n  dingtalk:\n    secret_ref: ding-secret\n"
    config = _load(tmp_path, text, {"CIBRIDGE_SECRETS_DIR": str(secrets_dir)})
    assert config.secret("integrations", "dingtalk", "secret") == "SECfrom-file-2"
    assert _is_redacted("SECfrom-file-2")


def test_var_inside_a_secret_key_registers_the_whole_value(tmp_path: Path) -> None:
    text = "integrations:\n  slack:\n    webhook_url: https://hooks.example/${HOOK_PATH}\n"
    config = _load(tmp_path, text, {"HOOK_PATH": "T1/B2/xyz"})
    url = config.secret("integrations", "slack", "webhook_url")
    assert url == "https://hooks.example/T1/B2/xyz"
    assert _is_redacted(url)


def test_credential_named_var_is_registered_anywhere(tmp_path: Path) -> None:
    text = "notify:\n  templates_dir: ${MY_API_TOKEN}\n"
    config = _load(tmp_path, text, {"MY_API_TOKEN": "tok-anywhere-9"})
    assert config.value("notify", "templates_dir") == "tok-anywhere-9"
    assert _is_redacted("tok-anywhere-9")


def test_plain_var_in_a_plain_key_is_not_registered(tmp_path: Path) -> None:
    config = _load(tmp_path, "notify:\n  templates_dir: ${TPL}\n", {"TPL": "templates-dir"})
    assert config.value("notify", "templates_dir") == "templates-dir"
    assert not _is_redacted("templates-dir")


def _key_and_token(plaintext: str) -> tuple[str, str]:
    key = Fernet.generate_key().decode()
    return key, encryption.encrypt(plaintext, {"CIBRIDGE_KEY": key})


def test_enc_under_a_plain_key_registers_the_plaintext(tmp_path: Path) -> None:
    key, token = _key_and_token("enc-plaintext-3")
    config = _load(tmp_path, f"notify:\n  templates_dir: {token}\n", {"CIBRIDGE_KEY": key})
    assert config.value("notify", "templates_dir") == "enc-plaintext-3"
    assert _is_redacted("enc-plaintext-3")
    assert _is_redacted(key)


def test_enc_in_an_env_ref_registers_the_plaintext(tmp_path: Path) -> None:
    key, token = _key_and_token("enc-via-ref-4")
    text = "integrations:\n  dingtalk:\n    secret_ref: ding-secret\n"
    config = _load(tmp_path, text, {"CIBRIDGE_KEY": key, "DING_SECRET": token})
    assert config.secret("integrations", "dingtalk", "secret") == "enc-via-ref-4"
    assert _is_redacted("enc-via-ref-4")


def test_enc_behind_a_var_is_decrypted_and_registered(tmp_path: Path) -> None:
    key, token = _key_and_token("enc-via-var-5")
    text = "integrations:\n  jira:\n    client_id: ${CLIENT}\n"
    config = _load(tmp_path, text, {"CIBRIDGE_KEY": key, "CLIENT": token})
    assert config.value("integrations", "jira", "client_id") == "enc-via-var-5"
    assert _is_redacted("enc-via-var-5")


def test_credential_header_values_are_registered(tmp_path: Path) -> None:
    text = (
        "integration_configs:\n  project_management:\n    jira:\n      headers:\n"
        "        X-Api-Key: hdr-key-6789\n        X-Scope-OrgID: tenant-a\n"
    )
    config = _load(tmp_path, text, {})
    headers = ("integration_configs", "project_management", "jira", "headers")
    assert config.value(*headers, "X-Api-Key") == "hdr-key-6789"
    assert config.value(*headers, "X-Scope-OrgID") == "tenant-a"
    assert _is_redacted("hdr-key-6789")
    assert not _is_redacted("tenant-a")


def test_url_credentials_in_plain_keys_are_registered(tmp_path: Path) -> None:
    text = (
        "integration_configs:\n  monitoring:\n    prometheus:\n"
        "      url: https://bot:url-pass-77@prom.example/api?access_token=qtok-88&q=up\n"
    )
    config = _load(tmp_path, text, {})
    config.value("integration_configs", "monitoring", "prometheus", "url")
    assert _is_redacted("url-pass-77")
    assert _is_redacted("qtok-88")
    assert not _is_redacted("prom.example")


def test_secret_asks_register_whatever_the_key(tmp_path: Path) -> None:
    config = _load(tmp_path, "integrations:\n  jira:\n    client_id: client-id-42\n", {})
    assert config.secret("integrations", "jira", "client_id") == "client-id-42"
    assert _is_redacted("client-id-42")


def test_a_secret_file_keeps_inner_and_trailing_spaces(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret file keeps its
    inner and trailing spaces (only the line ending goes)."""
    from cibridge.config.secrets import lookup_secret

    (tmp_path / "token").write_text("  padded value  \n")
    env = {"CIBRIDGE_SECRETS_DIR": str(tmp_path)}
    assert lookup_secret("token", "here", env, required=True) == "  padded value  "


def test_a_dotted_secret_name_reads_its_variable_with_underscores() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a dotted secret name
    reads its variable with underscores."""
    env = {"SLACK_WEBHOOK_URL": "https://hooks.example.com/dotted"}
    assert (
        lookup_secret("slack.webhook-url", "c.yml:3", env, required=True)
        == env["SLACK_WEBHOOK_URL"]
    )


def test_a_secret_name_may_contain_capital_letters() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret name may contain
    capital letters."""
    env = {"XRAY_API_TOKEN": "xray-token-value"}
    assert lookup_secret("XRAY_API_TOKEN", "c.yml:3", env, required=True) == "xray-token-value"


def test_dot_dot_is_refused_also_when_no_secrets_dir_is_set() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that '..' is refused (not read
    as unset) also without CIBRIDGE_SECRETS_DIR."""
    with pytest.raises(CibridgeError) as caught:
        lookup_secret("..", "c.yml:3", {}, required=True)
    assert not isinstance(caught.value, NotSet)
    assert "must be a name inside CIBRIDGE_SECRETS_DIR" in caught.value.message


def test_a_secret_file_keeps_everything_but_its_line_ending(secrets_dir: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret file keeps
    everything but its line ending (CRLF too)."""
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
    """Found by mutation testing (mutmut 3): nothing pinned down that a secret file that cannot
    be opened is a usage error naming it, not a crash."""
    # A socket cannot be opened, even by root: the error names it instead of crashing.
    env = {"CIBRIDGE_SECRETS_DIR": str(socket_file.parent)}
    with pytest.raises(CibridgeError) as caught:
        lookup_secret("hook", "c.yml:3", env, required=True)
    assert caught.value.exit_code == 2
    assert "secret file CIBRIDGE_SECRETS_DIR/hook cannot be read" in caught.value.message


def test_an_oversized_secret_file_is_refused_without_reading_it_all(secrets_dir: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that an oversized secret file
    is refused without reading it all."""
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
