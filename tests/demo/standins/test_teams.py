"""The Microsoft Teams stand-in answers a bad request with Teams' documented error.

Errors the CLI tests in tests/notify/providers already provoke (Teams 401) are not repeated
here.
"""

from __future__ import annotations

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import send

_TEAMS = f"/teams/workflows/run?sig={standins.TEAMS_SIG}"


def test_teams_too_large_and_not_a_card(stand_ins: StandIns) -> None:
    large = send(stand_ins.base, _TEAMS, b"x" * (28 * 1024 + 1))
    plain = send(stand_ins.base, _TEAMS, {"type": "message", "text": "hi"})
    assert (large.status, large.json["error"]["code"]) == (413, "MessageTooLarge")
    assert (plain.status, plain.json["error"]["code"]) == (400, "InvalidRequestContent")
