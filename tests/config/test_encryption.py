from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from cibridge.config import encryption
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from tests.conftest import run_process


def test_keygen_encrypt_decrypt_round_trip(cli) -> None:  # type: ignore[no-untyped-def]
    key = cli("secret", "keygen").out.strip()
    Fernet(key.encode())  # a valid Fernet key
    encrypted = cli("secret", "encrypt", env={"CIBRIDGE_KEY": key}, stdin="hunter2-value\n")
    assert encrypted.code == 0
    token = encrypted.out.strip()
    assert token.startswith("enc:") and "hunter2" not in token
    decrypted = cli("secret", "decrypt", env={"CIBRIDGE_KEY": key}, stdin=token + "\n")
    assert decrypted.code == 0
    assert decrypted.out == "hunter2-value\n"


def test_rotation_first_key_encrypts_all_decrypt(cli) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_token = cli("secret", "encrypt", env={"CIBRIDGE_KEY": old}, stdin="v1").out.strip()
    both = f"{new},{old}"
    assert cli("secret", "decrypt", env={"CIBRIDGE_KEY": both}, stdin=old_token).out == "v1\n"
    new_token = cli("secret", "encrypt", env={"CIBRIDGE_KEY": both}, stdin="v2").out.strip()
    Fernet(new.encode()).decrypt(new_token.removeprefix("enc:").encode())
    assert cli("secret", "decrypt", env={"CIBRIDGE_KEY": new}, stdin=new_token).out == "v2\n"


def test_wrong_key_and_missing_key_are_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    token = cli(
        "secret", "encrypt", env={"CIBRIDGE_KEY": Fernet.generate_key().decode()}, stdin="x"
    ).out
    other = cli(
        "secret", "decrypt", env={"CIBRIDGE_KEY": Fernet.generate_key().decode()}, stdin=token
    )
    assert other.code == 2
    assert "cannot decrypt" in other.err and "CIBRIDGE_KEY" in other.err


def test_missing_and_invalid_key(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = cli("secret", "encrypt", stdin="x")
    assert missing.code == 2
    assert "CIBRIDGE_KEY is not set" in missing.err
    invalid = cli("secret", "encrypt", env={"CIBRIDGE_KEY": "not-a-key"}, stdin="x")
    assert invalid.code == 2
    assert "key #1 is not a valid Fernet key" in invalid.err
    assert "not-a-key" not in invalid.all


def test_value_never_comes_from_argv() -> None:
    result = run_process("secret", "encrypt", "hunter2")
    assert result.code == 2
    assert "unrecognized arguments" in result.err


def test_empty_stdin_is_an_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "secret", "encrypt", env={"CIBRIDGE_KEY": Fernet.generate_key().decode()}, stdin=""
    )
    assert result.code == 2
    assert "no value on stdin" in result.err


# The module API: keys come from the mapping given, never from os.environ.


def _env(*keys: str) -> dict[str, str]:
    return {"CIBRIDGE_KEY": ",".join(keys)}


def test_decrypt_uses_the_mapping_not_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("mapped-value", _env(key))
    monkeypatch.setenv("CIBRIDGE_KEY", key)
    with pytest.raises(encryption.MissingKey) as caught:
        encryption.decrypt(token, "c.yml:4", {})
    assert caught.value.message == "c.yml:4: CIBRIDGE_KEY is not set"
    assert caught.value.exit_code == 2
    assert encryption.decrypt(token, "c.yml:4", _env(key)) == "mapped-value"


def test_decrypt_registers_plaintext_and_keys() -> None:
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("plain-registered-1", _env(key))
    redact.reset()
    encryption.decrypt(token, "w", _env(key))
    assert redact.redact("plain-registered-1 and " + key) == "*** and ***"


def test_rotation_and_spaces_between_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = encryption.encrypt("rotated", _env(old))
    assert encryption.decrypt(token, "w", {"CIBRIDGE_KEY": f" {new} , {old} ,"}) == "rotated"
    fresh = encryption.encrypt("fresh", {"CIBRIDGE_KEY": f"{new},{old}"})
    assert encryption.decrypt(fresh, "w", _env(new)) == "fresh"
    with pytest.raises(CibridgeError, match="w: cannot decrypt"):
        encryption.decrypt(fresh, "w", _env(old))


def test_a_cut_token_is_a_decrypt_error_naming_the_place() -> None:
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("whole", _env(key))
    with pytest.raises(CibridgeError) as caught:
        encryption.decrypt(token[:-10], "c.yml:9", _env(key))
    assert (
        caught.value.message
        == "c.yml:9: cannot decrypt the enc: value with any key in CIBRIDGE_KEY"
    )
    assert "cibridge secret encrypt" in caught.value.hint


def test_configured() -> None:
    assert not encryption.configured({})
    assert not encryption.configured({"CIBRIDGE_KEY": " , "})
    assert encryption.configured(_env(Fernet.generate_key().decode()))


def test_invalid_second_key_is_named_by_position() -> None:
    with pytest.raises(CibridgeError, match=r"key #2 is not a valid Fernet key"):
        encryption.encrypt("x", _env(Fernet.generate_key().decode(), "short"))
