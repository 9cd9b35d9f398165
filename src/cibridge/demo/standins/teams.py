"""Microsoft Teams through a Power Automate "workflows" webhook: the ``sig`` query, the
28 KB limit and the Adaptive Card envelope (mentions included), with the Graph-style
error bodies the workflow endpoint returns; success is an empty 202."""

from __future__ import annotations

import json

from cibridge.demo.standins.server import Answer, Behaviour, Request

TEAMS_SIG = "standin-teams-sig"
_CARD_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}})


def _valid_card(raw: bytes) -> bool:
    try:
        payload = json.loads(raw)
        attachment = payload["attachments"][0]
        card = attachment["content"]
        valid = (
            payload["type"] == "message"
            and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            and card["type"] == "AdaptiveCard"
            and isinstance(card.get("body"), list)
            and str(card.get("version", "")) in _CARD_VERSIONS
        )
        body_text = json.dumps(card.get("body"))
        for entity in (card.get("msteams") or {}).get("entities", []):
            # Teams drops a mention whose <at> text is not in the card, or that has no id.
            valid = valid and entity["text"] in body_text and bool(entity["mentioned"]["id"])
    except (ValueError, KeyError, TypeError, IndexError):
        return False
    return bool(valid)


class Teams:
    name = "teams"
    prefix = "/teams"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # no knobs yet

    def env(self, base_url: str) -> dict[str, str]:
        return {"TEAMS_WEBHOOK_URL": f"{base_url}/teams/workflows/run?sig={TEAMS_SIG}"}

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        if request.query.get("sig") != TEAMS_SIG:
            return _error(
                401, "DirectApiAuthorizationRequired", "The request must be authenticated"
            )
        if len(request.raw) > 28 * 1024:
            return _error(413, "MessageTooLarge", "Message size exceeds 28 KB")
        if not _valid_card(request.raw):
            return _error(
                400,
                "InvalidRequestContent",
                "The request content is not a valid Adaptive Card message",
            )
        return Answer(202, b"")
