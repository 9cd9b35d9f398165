"""Behaviour of encryption.py that mutation testing (mutmut 3) showed no test pinned down:
``secret decrypt`` also takes a token pasted without its ``enc:`` prefix."""

from __future__ import annotations

from cryptography.fernet import Fernet

from cibridge.config import encryption
from cibridge.core import redact


def test_decrypt_takes_a_token_without_its_prefix(cli) -> None:  # type: ignore[no-untyped-def]
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("hunter2-value", {"CIBRIDGE_KEY": key})
    bare = token.removeprefix(encryption.PREFIX)
    decrypted = cli("secret", "decrypt", env={"CIBRIDGE_KEY": key}, stdin=bare + "\n")
    assert decrypted.code == 0
    assert decrypted.out == "hunter2-value\n"


def test_a_bare_token_decrypts_and_registers_its_plaintext() -> None:
    key = Fernet.generate_key().decode()
    env = {"CIBRIDGE_KEY": key}
    bare = encryption.encrypt("plain-text-9", env).removeprefix(encryption.PREFIX)
    assert encryption.decrypt(bare, "c.yml:3", env) == "plain-text-9"
    assert redact.redact("got plain-text-9") == "got ***"
