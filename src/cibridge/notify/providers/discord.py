"""Discord through a channel webhook: embeds, ``?wait=true`` for the message id, edits in
place (PATCH …/messages/{id}) and threads (``thread_id``, ``thread_name`` for a forum post).

Nothing a commit says can ping anyone: ``allowed_mentions.parse`` is always empty, and only
the users and roles the team configured (for a message the mention policy applies to) are
listed as allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions
from cibridge.notify.providers.discord_limits import CONTENT, fit

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MAX_MENTIONS = 100  # per list in allowed_mentions
# Discord's JSON error codes (discord.com/developers/docs/topics/opcodes-and-status-codes).
HINTS = {
    10003: "the thread (thread_id / --thread) does not exist in the webhook's channel",
    10008: "--update names a message this webhook did not post (or it was deleted)",
    10015: "the webhook was deleted; create a new one and update DISCORD_WEBHOOK_URL",
    50001: "the webhook cannot see that thread (private, or in another channel)",
    50027: "the webhook's token is wrong; copy the webhook URL again",
    50035: "the message broke one of Discord's rules (named above); preview it with "
    "`cibridge render`",
    50083: "the thread is archived; unarchive it or send elsewhere",
    220001: "a forum channel needs a thread: pass --thread THREAD_ID or set thread_name",
    220003: "that thread belongs to another channel than the webhook's",
}


class Discord(ProviderBase):
    name = "discord"
    label = "Discord"
    mention_keys = ("discord",)

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or not ("embeds" in payload or "content" in payload):
            raise CibridgeError(
                "Discord template must produce a mapping with `embeds` or `content`"
            )
        url = self.settings.webhook_url(
            "Discord",
            "DISCORD_WEBHOOK_URL",
            "create a webhook (channel settings > Integrations > Webhooks) and set "
            "DISCORD_WEBHOOK_URL to its URL, or webhook_url_ref under "
            "integration_configs.communication.discord",
        )
        users = [m["discord"] for m in options.mentions if m.get("discord")][:MAX_MENTIONS]
        roles: list[str] = []
        if options.mention_all:
            configured = self.settings.value("mention_roles") or []
            roles = [str(role) for role in configured][:MAX_MENTIONS]
        pings = " ".join([*(f"<@{u}>" for u in users), *(f"<@&{r}>" for r in roles)])
        message = fit(payload, reserve=len(pings) + 1 if pings else 0)
        if pings:
            content = str(message.get("content") or "")
            message["content"] = f"{content}\n{pings}".strip()[:CONTENT]
        # A template cannot widen this: an @everyone in a commit message stays text.
        message["allowed_mentions"] = {"parse": [], "users": users, "roles": roles}
        query: dict[str, str] = {}
        thread = options.thread or self.settings.value("thread_id", "DISCORD_THREAD_ID")
        if thread:
            query["thread_id"] = str(thread)
        base, _, given = url.partition("?")
        base = base.rstrip("/")
        query = {**dict(parse_qsl(given)), **query}  # a thread_id written into the URL stays
        if options.update:
            message.pop("thread_name", None)  # a post's title is set when it is created
            query.pop("wait", None)
            target = f"{base}/messages/{options.update}"
            shown = _shown(url, f"/messages/{options.update}", query)
            return Delivery("PATCH", _with(target, query), message, shown=shown)
        name = self.settings.value("thread_name", "DISCORD_THREAD_NAME")
        if name and not thread:
            message.setdefault("thread_name", str(name)[:100])
        query["wait"] = "true"  # the message comes back, with its id
        return Delivery("POST", _with(base, query), message, shown=_shown(url, "", query))

    def outcome(self, response: Response) -> Outcome:
        data = response.json()
        if response.ok:
            if not isinstance(data, dict) or not data.get("id"):
                return Outcome(
                    False, f"HTTP {response.status}, not a Discord message: {response.excerpt()}"
                )
            return Outcome(
                True,
                message_id=excerpt(data.get("id", ""), 40),
                channel_id=excerpt(data.get("channel_id", ""), 40),
            )
        if not isinstance(data, dict) or "message" not in data:
            return Outcome(False, f"HTTP {response.status}: {response.excerpt()}")
        code = data.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        detail = "; ".join(_errors(data.get("errors")))
        text = f"{excerpt(data['message'], 200)} (code {code})"
        if detail:
            text += f": {excerpt(detail, 400)}"
        return Outcome(False, f"HTTP {response.status} {text}", HINTS.get(code, ""))


def _shown(url: str, tail: str, query: dict[str, str]) -> str:
    """The address as a dry run shows it: the webhook's id and token masked."""
    from cibridge.core.redact import MASK
    from cibridge.core.urls import origin

    return _with(f"{origin(url)}/api/webhooks/{MASK}/{MASK}{tail}", query)


def _with(url: str, query: dict[str, str]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _errors(node: Any, path: str = "") -> list[str]:
    """Discord's nested ``errors`` as "embeds.0.title: Must be 256 or fewer in length."."""
    if not isinstance(node, dict):
        return []
    found: list[str] = []
    for item in node.get("_errors") or []:
        if isinstance(item, dict):
            found.append(f"{path or 'body'}: {item.get('message', item.get('code', ''))}")
    for key, value in node.items():
        if key != "_errors":
            found.extend(_errors(value, f"{path}.{key}" if path else str(key)))
    return found[:3]
