"""The Mimir ruler stand-in on its own, for the tests of the ruler client and command."""

from __future__ import annotations

from cibridge.demo.standins import StandIns
from cibridge.demo.standins.mimir_ruler import MimirRuler


def serving() -> StandIns:
    """``with serving() as servers:`` the ruler alone on a loopback port."""
    return StandIns((MimirRuler,))


def ruler_of(servers: StandIns) -> MimirRuler:
    """The ruler's state and knobs."""
    (found,) = servers.services
    assert isinstance(found, MimirRuler)
    return found
