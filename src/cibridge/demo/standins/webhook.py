"""The generic receiver: accepts a POST only with a valid ``X-Cibridge-Signature-256``
(``sha256=<hex>`` HMAC of the exact body, like GitHub's ``X-Hub-Signature-256``)."""

from __future__ import annotations

import hashlib
import hmac

from cibridge.demo.standins.server import Answer, Behaviour, Request

WEBHOOK_SECRET = "standin-webhook-secret"  # noqa: S105 - a stand-in's own credential


class Webhook:
    name = "webhook"
    prefix = "/webhook"

    def __init__(self, behaviour: Behaviour) -> None:
        del behaviour  # no knobs yet

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "CIBRIDGE_WEBHOOK_URL": f"{base_url}/webhook/receive",
            "CIBRIDGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, b"method not allowed", {"Allow": "POST"})
        given = request.headers.get("X-Cibridge-Signature-256", "")
        digest = hmac.new(WEBHOOK_SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, "sha256=" + digest):
            return Answer(401, {"error": "bad signature"})
        return Answer(200, {"received": True})
