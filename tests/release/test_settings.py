"""Which release a command reports to, and the ``release:`` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.config import loader
from cibridge.context.model import Context
from cibridge.core.errors import CibridgeError
from cibridge.release.settings import key_of, load


def _context(**values: str) -> Context:
    return Context(platform="github", repository="acme/shop", **values)  # type: ignore[arg-type]


def test_a_given_key_is_used_as_it_is() -> None:
    assert key_of("v1.4.0", _context(), {}) == "v1.4.0"
    assert key_of(None, _context(), {"CIBRIDGE_RELEASE_KEY": "2026.12"}) == "2026.12"
    assert key_of(None, _context(tag="v9"), {}) == ""  # no --release: no release


def test_without_a_key_the_tag_or_version_scoped_by_the_repository() -> None:
    assert key_of("auto", _context(tag="v1.4.0"), {}) == "acme/shop@v1.4.0"
    assert key_of("", _context(version="1.4.0"), {}) == "acme/shop@1.4.0"


def test_without_a_key_and_nothing_being_deployed_it_says_what_to_pass() -> None:
    with pytest.raises(CibridgeError) as raised:
        key_of("auto", _context(), {})
    assert raised.value.exit_code == 2 and "--release v1.4.0" in raised.value.hint


@pytest.mark.parametrize("key", ["x" * 101, "v1\nforged", "v1\x1b[31m"])
def test_a_key_is_one_short_line(key: str) -> None:
    with pytest.raises(CibridgeError, match="one line"):
        key_of(key, _context(), {})


def _config(tmp_path: Path, text: str) -> loader.Config:
    path = tmp_path / ".cibridge.yml"
    path.write_text(text)
    return loader.load([path], {})


def test_defaults_and_the_channel_from_the_environment(tmp_path: Path) -> None:
    found = load(
        _config(tmp_path, "release: {}\n"), {"CIBRIDGE_RELEASE_CHANNEL": "C0DEPLOYS"}, "v1"
    )
    assert (found.channel, found.lookback_days, found.pages) == ("C0DEPLOYS", 30.0, 5)
    assert (found.broadcast, found.fail_on_error) == ("failure", False)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("release: {lookback_days: 365}\n", "release.lookback_days"),
        ("release: {lookback_days: true}\n", "release.lookback_days"),
        ("release: {history_pages: 0}\n", "release.history_pages"),
    ],
)
def test_out_of_range_settings_name_their_place(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(CibridgeError) as raised:
        load(_config(tmp_path, text), {}, "v1")
    assert named in raised.value.message and ".cibridge.yml:1" in raised.value.message


def test_unknown_keys_and_values_are_refused_by_the_schema(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError, match="lookback"):
        _config(tmp_path, "release: {lookback: 3}\n")
    with pytest.raises(CibridgeError, match="broadcast"):
        _config(tmp_path, "release: {broadcast: sometimes}\n")
