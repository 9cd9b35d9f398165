"""Telegram through the Bot API: ``sendMessage`` (``editMessageText`` for --update) with
HTML or MarkdownV2, to a chat (TELEGRAM_CHAT_ID, or ``channel``) and a forum topic
(--thread, ``thread_id``, TELEGRAM_THREAD_ID as ``message_thread_id``).

The bot token is part of the URL's path (``/bot<token>/<method>``), so the URL is shown
only with the token masked. Telegram answers ``{"ok": false, "error_code", "description"}``;
``ok`` is checked whatever the HTTP status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import excerpt
from cibridge.notify.providers import Delivery, Outcome, ProviderBase, SendOptions
from cibridge.notify.providers import telegram_markup as markup
from cibridge.render.filters import tg_html, tg_markdown

if TYPE_CHECKING:
    from cibridge.http.transport import Response

DEFAULT_API = "https://api.telegram.org"
MAX_TEXT = 4096  # after entities parsing, in UTF-16 code units
NOTE_HTML = "\n<i>… cut to fit Telegram's 4,096 characters</i>"
NOTE_MARKDOWN = "\n_… cut to fit Telegram's 4,096 characters_"
NOTE_PLAIN = "\n… cut to fit Telegram's 4,096 characters"
PARSE_MODES = ("HTML", "MarkdownV2")
# What each of Telegram's descriptions means here (they are words, not codes).
HINTS = {
    "Unauthorized": "TELEGRAM_BOT_TOKEN is not a bot token (copy it from @BotFather again)",
    "chat not found": "the chat id is wrong or the bot was never added to that chat "
    "(groups: -100…, channels: @name or -100…)",
    "message thread not found": "--thread / TELEGRAM_THREAD_ID names no topic of that chat",
    "message to edit not found": "--update names a message this bot did not send to this chat",
    "can't parse entities": "the template's markup is invalid: escape values with the "
    "tg_html (or tg_markdown) filter",
    "bot is not a member": "add the bot to the chat (channels: as an administrator)",
    "bot was blocked": "the user blocked the bot",
    "not enough rights": "let the bot post messages in that chat",
    "Too Many Requests": "Telegram's flood control: about one message a second per chat, "
    "20 a minute per group",
}


class Telegram(ProviderBase):
    name = "telegram"
    label = "Telegram"
    # The chat is configured (TELEGRAM_CHAT_ID, `channel`), not taken from --channel: that
    # names Slack or Mattermost channels in the same step, which are no Telegram chat.
    mention_keys = ("telegram",)
    api_url_env = "TELEGRAM_API_URL"

    def prepare(self, payload: Any, options: SendOptions) -> Delivery:
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise CibridgeError("Telegram template must produce a mapping with a `text`")
        token = self.settings.secret("bot_token", "TELEGRAM_BOT_TOKEN")
        if not token:
            raise CibridgeError(
                "Telegram: no bot token is configured",
                hint="set TELEGRAM_BOT_TOKEN (from @BotFather), or bot_token_ref under "
                "integration_configs.communication.telegram",
            )
        chat = self.settings.channel(options.channel)
        if not chat:
            raise CibridgeError(
                "Telegram: no chat to send to",
                hint="set TELEGRAM_CHAT_ID (or `channel` under "
                "integration_configs.communication.telegram)",
            )
        base = self.settings.api_url(self.label, self.api_url_env, DEFAULT_API)
        message = dict(payload)
        # HTML unless the template says otherwise; an empty parse_mode is plain text.
        mode = str(message.get("parse_mode", "HTML") or "")
        if mode not in (*PARSE_MODES, ""):
            raise CibridgeError(
                f"Telegram template: parse_mode {excerpt(mode, 40)!r} is not HTML, MarkdownV2 "
                "or empty (plain text)"
            )
        message["parse_mode"] = mode
        if not mode:
            del message["parse_mode"]
        message["text"] = _fit(message["text"], mode, _pings(options, mode))
        message["chat_id"] = chat
        thread = options.thread or self.settings.value("thread_id", "TELEGRAM_THREAD_ID")
        method = "sendMessage"
        if options.update:
            method = "editMessageText"
            message["message_id"] = _number(options.update, "--update")
            message.pop("message_thread_id", None)  # an edit names the message, not the topic
        elif thread:
            message["message_thread_id"] = _number(str(thread), "the thread (message_thread_id)")
        from cibridge.core.redact import MASK

        return Delivery(
            "POST", f"{base}/bot{token}/{method}", message, shown=f"{base}/bot{MASK}/{method}"
        )

    def outcome(self, response: Response) -> Outcome:
        data = response.json()
        if not isinstance(data, dict) or "ok" not in data:
            return Outcome(
                False, f"HTTP {response.status}, not a Bot API answer: {response.excerpt()}"
            )
        if data.get("ok") is True:
            result = data.get("result")
            result = result if isinstance(result, dict) else {}
            chat = result.get("chat")
            return Outcome(
                True,
                message_id=excerpt(str(result.get("message_id", "")), 40),
                channel_id=excerpt(str(chat.get("id", "")), 40) if isinstance(chat, dict) else "",
            )
        description = excerpt(str(data.get("description") or f"HTTP {response.status}"), 300)
        if "message is not modified" in description:
            return Outcome(True, despite_status=True)  # it already says what the update says
        code = data.get("error_code", response.status)
        hint = next((h for words, h in HINTS.items() if words in description), "")
        return Outcome(False, f"{description} (error_code {excerpt(str(code), 10)})", hint)


def _number(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CibridgeError(
            f"Telegram: {what} must be a number, not {excerpt(value, 40)!r}",
            hint="pass the message-id output of the step that sent it" if "update" in what else "",
        ) from None


def _pings(options: SendOptions, mode: str) -> str:
    """The mentions, in the text's markup: ``@name`` as text, a user id as a tg:// link."""
    found = []
    for who in (m["telegram"] for m in options.mentions if m.get("telegram")):
        if who.startswith("@") or not mode:  # plain text has no links: the name or id
            found.append({"HTML": tg_html, "MarkdownV2": tg_markdown}.get(mode, str)(who))
        elif who.isdigit():
            found.append(
                f'<a href="tg://user?id={who}">{who}</a>'
                if mode == "HTML"
                else f"[{who}](tg://user?id={who})"
            )
    return " ".join(found)


def _fit(text: str, mode: str, pings: str) -> str:
    """The text within 4,096 visible characters, the mentions kept whole after it."""
    tail = f"\n{pings}" if pings else ""
    if not mode:
        room = MAX_TEXT - markup.units(tail) - markup.units(NOTE_PLAIN)
        return (
            text
            if markup.units(text) <= MAX_TEXT - markup.units(tail)
            else markup.cut_plain(text, room) + NOTE_PLAIN
        ) + tail
    if mode == "HTML":
        room = MAX_TEXT - markup.html_length(tail)
        return markup.cut_html(text, room, NOTE_HTML) + tail
    room = MAX_TEXT - markup.markdown_length(tail)
    return markup.cut_markdown(text, room, NOTE_MARKDOWN) + tail
