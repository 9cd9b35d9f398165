"""Reading deliveries from NATS: a fetch that times out is "nothing waiting", whichever
TimeoutError nats-py raises (found in CI: asyncio's, from a fetch of several that got none,
ended a `trigger --from nats` as an internal error)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cibridge.clients import queues


class _Subscription:
    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.timeouts: list[float] = []

    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        self.timeouts.append(timeout)
        raise self.error


class _Client:
    def __init__(self, subscription: _Subscription) -> None:
        self.subscription = subscription

    def jetstream(self) -> _Client:
        return self

    async def pull_subscribe(self, subject: str, durable: str, stream: str) -> _Subscription:
        return self.subscription

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("error", ["asyncio", "nats"])
def test_a_fetch_that_times_out_is_nothing_waiting(
    monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    raised = asyncio.TimeoutError() if error == "asyncio" else NatsTimeout()
    subscription = _Subscription(raised)

    async def connect(**_options: Any) -> _Client:
        return _Client(subscription)

    monkeypatch.setattr(nats, "connect", connect)
    limits = queues.Limits(messages=5, seconds=30)
    assert list(queues.nats_messages({}, "S", "s.>", "d", limits)) == []
    assert subscription.timeouts == [queues.FIRST_WAIT]  # one wait, the first one's
