"""What a command runs with (cibridge.cli.runtime): --set values and the CI context."""

from __future__ import annotations


def test_set_cannot_replace_context_structures(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("render", "--sample", "slack/build.yml.j2", "--set", "commits=abc")
    assert result.code == 2
    assert "`commits` is filled from the CI context" in result.err
