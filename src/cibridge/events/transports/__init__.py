"""The transports an event can take: each takes one batch of events and says, per event,
whether it was delivered (acknowledged) or why not, and whether trying again may help.
Only the transport in use is imported (its broker client with it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.events.model import Event


@dataclass(frozen=True)
class Refusal:
    """Why an event was not delivered; ``final`` when trying again cannot help (a 413)."""

    reason: str
    final: bool = False


class Transport(Protocol):
    name: str

    def send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        """Deliver each event within ``budget`` seconds: None where it was acknowledged."""
        ...

    def describe(self, event: Event) -> str:
        """What a dry run shows for the event: where it would go, with which headers."""
        ...


def load(name: str, config: Config, env: Mapping[str, str]) -> Transport:
    if name == "http":
        from cibridge.events.transports.http import HttpSink

        return HttpSink.from_config(config, env)
    if name == "kafka":
        from cibridge.events.transports.kafka import KafkaSink

        return KafkaSink.from_config(config, env)
    if name == "rabbitmq":
        from cibridge.events.transports.rabbitmq import RabbitSink

        return RabbitSink.from_config(config, env)
    from cibridge.events.transports.nats import NatsSink

    return NatsSink.from_config(config, env)
