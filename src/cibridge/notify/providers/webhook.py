"""Generic webhook: the normalised event as JSON, signed like X-Hub-Signature-256."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cibridge.core import signing
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions

if TYPE_CHECKING:
    from cibridge.http.transport import Response

SIGNATURE_HEADER = "X-Cibridge-Signature-256"


class Webhook(ProviderBase):
    name = "webhook"
    label = "webhook"
    max_commits = 100

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        url = self.settings.webhook_url(
            "webhook",
            "CIBRIDGE_WEBHOOK_URL",
            "set CIBRIDGE_WEBHOOK_URL, or webhook_url under "
            "integration_configs.communication.webhook",
        )
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if isinstance(payload, dict) and payload.get("event"):
            headers["X-Cibridge-Event"] = str(payload["event"])
        secret = self.settings.secret("secret", "CIBRIDGE_WEBHOOK_SECRET")
        if secret:
            headers[SIGNATURE_HEADER] = signing.sign(raw, secret)
        return Delivery("POST", url, payload, headers, raw=raw)

    def outcome(self, response: Response) -> Outcome:
        if response.ok:
            return Outcome(True)
        return Outcome(False, f"HTTP {response.status} {response.excerpt()}".strip())
