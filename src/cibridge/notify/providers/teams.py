"""Microsoft Teams through a Workflows webhook: an Adaptive Card in a message envelope."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.notify import limits
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MAX_BYTES = 28 * 1024
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
HINTS = {
    400: "the card is not a valid Adaptive Card; preview it with `cibridge render`",
    401: "the workflow URL's signature (sig=) is wrong; copy the URL again",
    404: "the workflow was deleted or turned off",
    413: "the card is over 28 KB",
    429: "more than 4 requests a second to this workflow",
}


class Teams(ProviderBase):
    name = "teams"
    label = "Microsoft Teams"
    mention_keys = ("teams",)

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict):
            raise CibridgeError("Teams template must produce an Adaptive Card mapping")
        url = self.settings.webhook_url(
            "Teams",
            "TEAMS_WEBHOOK_URL",
            "create a 'Post to a channel when a webhook request is received' workflow and set "
            "TEAMS_WEBHOOK_URL to its URL (Office 365 connectors are retired)",
        )
        card = json.loads(json.dumps(payload))
        ids = [m["teams"] for m in options.mentions if m.get("teams")]
        if ids and card.get("type") == "AdaptiveCard":
            _mention(card, ids)
        envelope = (
            card
            if card.get("type") == "message"
            else {
                "type": "message",
                "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}],
            }
        )
        limits.shrink(
            envelope, MAX_BYTES - 256, lambda m: len(json.dumps(m, ensure_ascii=False).encode())
        )
        return Delivery("POST", url, envelope)

    def outcome(self, response: Response) -> Outcome:
        if response.ok:
            return Outcome(True)
        detail = response.excerpt()
        return Outcome(
            False, f"HTTP {response.status} {detail}".strip(), HINTS.get(response.status, "")
        )


def _mention(card: dict[str, Any], ids: list[str]) -> None:
    """Adaptive Card mentions: ``<at>id</at>`` in the text plus a ``msteams.entities`` entry.

    ``id`` is what the mentions mapping holds for Teams: a user principal name (e-mail) or
    an Entra object id, both of which Teams resolves.
    """
    text = " ".join(f"<at>{who}</at>" for who in ids)
    card.setdefault("body", []).append({"type": "TextBlock", "wrap": True, "text": f"cc {text}"})
    entities = card.setdefault("msteams", {}).setdefault("entities", [])
    for who in ids:
        entities.append(
            {"type": "mention", "text": f"<at>{who}</at>", "mentioned": {"id": who, "name": who}}
        )
