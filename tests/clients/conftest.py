"""Fixtures of the client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cibridge.http.transport import HttpSettings, Transport


@pytest.fixture
def transport() -> Iterator[Transport]:
    """One transport without retries; sleeps are skipped."""
    with Transport(HttpSettings(retries=0), sleep=lambda _: None) as client:
        yield client
