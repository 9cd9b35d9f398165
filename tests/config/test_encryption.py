"""Encryption of configuration values (cibridge.config.encryption): keys come from the mapping
given, never from os.environ; rotation, registration and errors naming the place."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from cibridge.config import encryption
from cibridge.core import redact
from cibridge.core.errors import CibridgeError


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


def test_a_bare_token_decrypts_and_registers_its_plaintext() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a token without its enc:
    prefix decrypts, and its plaintext is registered."""
    key = Fernet.generate_key().decode()
    env = {"CIBRIDGE_KEY": key}
    bare = encryption.encrypt("plain-text-9", env).removeprefix(encryption.PREFIX)
    assert encryption.decrypt(bare, "c.yml:3", env) == "plain-text-9"
    assert redact.redact("got plain-text-9") == "got ***"
