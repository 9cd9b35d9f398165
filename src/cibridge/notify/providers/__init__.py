"""Chat providers behind one small Protocol, in an explicit registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cibridge.config import variables
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.clients.smtp import Mail
    from cibridge.config.variables import Variable
    from cibridge.http.transport import Response
    from cibridge.notify.settings import ProviderSettings


@dataclass
class SendOptions:
    channel: str | None = None
    update: str | None = None
    thread: str | None = None
    broadcast: bool = False  # a reply in a thread also shown in the channel
    mentions: list[dict[str, str]] = field(default_factory=list)
    mention_all: bool = False  # the mention policy applies to this message
    # What the message says beyond the CI context (--set values, environment, ...), stored
    # with it where the service can hold data, so a later --update can keep it.
    remember: dict[str, str] = field(default_factory=dict)
    # The run, as "repository#run id" (attempts left out, so a re-run joins it): where a
    # service groups messages by a key (Google Chat's threadKey), one run is one thread.
    run: str = ""


@dataclass
class Recalled:
    """What a posted message remembered, read back before it is updated."""

    values: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why nothing could be read back, and what to do; "" when all is well


@dataclass
class Delivery:
    """One HTTP request a provider wants sent, or an e-mail (``mail``): the service sends
    that over SMTP, and ``headers`` and ``body`` are then what a dry run shows of it."""

    method: str
    url: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # exact bytes to send when a signature covers them
    public_url: bool = False  # an API endpoint, not a webhook address that is itself a secret
    # What a dry run shows of a secret URL when more than its origin can be shown (the
    # query that picks a thread, the method's path): the credential in it masked.
    shown: str = ""
    mail: Mail | None = None  # an e-mail to send over SMTP instead of an HTTP request

    def shown_url(self) -> str:
        if self.public_url:
            return self.url
        if self.shown:
            return self.shown
        from cibridge.core.urls import origin

        return f"{origin(self.url)}/… (webhook address redacted)"


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    hint: str = ""
    message_id: str = ""
    channel_id: str = ""
    fatal_config: bool = False
    # The provider read an error status as success: Telegram answers an edit that changes
    # nothing with 400 "message is not modified", and the message says what it should.
    despite_status: bool = False


def errcode_outcome(
    response: Response, hints: Mapping[int, str], explain: Callable[[int, str], str] | None = None
) -> Outcome:
    """DingTalk and WeCom answer HTTP 200 with ``errcode``: 0 is success, anything else not."""
    data = response.json()
    if not isinstance(data, dict) or "errcode" not in data:
        return Outcome(False, f"HTTP {response.status}: {response.excerpt()}")
    try:
        code = int(data["errcode"])
    except (TypeError, ValueError):
        return Outcome(False, f"HTTP {response.status}: {response.excerpt()}")
    if code == 0:
        return Outcome(True)
    message = excerpt(data.get("errmsg", ""))
    hint = (explain(code, message) if explain else "") or hints.get(code, "")
    return Outcome(False, f"errcode {code}: {message}", hint)


class Provider(Protocol):
    name: str
    label: str
    extension: str  # of the built-in templates: <name>/<event>.<extension>.j2
    max_commits: int  # listed in a message before "… and N more"
    uses_channel: bool  # --channel means something (one message per channel)
    mention_keys: tuple[str, ...]  # keys of notify.mentions.users entries it reads
    api_url_env: str  # the variable of its `api_url`; "" when it reads none

    def prepare(self, payload: Any, options: SendOptions) -> Delivery: ...

    def outcome(self, response: Response) -> Outcome: ...

    def recall(self, channel: str | None, message_id: str) -> Delivery | None:
        """The request that reads back the message ``message_id``, or None where the
        service keeps nothing cibridge could read."""
        ...

    def recalled(self, response: Response, message_id: str) -> Recalled: ...


class ProviderBase:
    """Defaults most providers share; each still declares name, label and mention_keys."""

    extension = "yml"
    max_commits = 10
    uses_channel = False
    mention_keys: tuple[str, ...] = ()
    api_url_env = ""

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def recall(self, channel: str | None, message_id: str) -> Delivery | None:
        return None

    def recalled(self, response: Response, message_id: str) -> Recalled:
        return Recalled()


ProviderFactory = Callable[["ProviderSettings"], Provider]


@dataclass(frozen=True)
class Spec:
    name: str
    module: str
    cls: str

    @property
    def credentials(self) -> tuple[Variable, ...]:
        """The variables (and the notify action's inputs) that carry its credentials."""
        return tuple(v for v in variables.of(self.name) if v.input)


# The one table of providers: their code, imported only when a run asks for them. Their
# environment variables and action inputs are rows of config.variables.
SPECS: tuple[Spec, ...] = (
    Spec("slack", "cibridge.notify.providers.slack", "Slack"),
    Spec("dingtalk", "cibridge.notify.providers.dingtalk", "DingTalk"),
    Spec("feishu", "cibridge.notify.providers.feishu", "Feishu"),
    Spec("wecom", "cibridge.notify.providers.wecom", "WeCom"),
    Spec("teams", "cibridge.notify.providers.teams", "Teams"),
    Spec("webhook", "cibridge.notify.providers.webhook", "Webhook"),
    Spec("mattermost", "cibridge.notify.providers.mattermost", "Mattermost"),
    # issue 20
    Spec("discord", "cibridge.notify.providers.discord", "Discord"),
    Spec("email", "cibridge.notify.providers.mail", "Email"),
    Spec("telegram", "cibridge.notify.providers.telegram", "Telegram"),
    Spec("google_chat", "cibridge.notify.providers.google_chat", "GoogleChat"),
)
REGISTRY: Mapping[str, Spec] = {spec.name: spec for spec in SPECS}
NAMES = tuple(REGISTRY)

if TYPE_CHECKING:  # mypy proves each registered class satisfies the Protocol
    from cibridge.notify.providers import (
        dingtalk,
        discord,
        feishu,
        google_chat,
        mail,
        mattermost,
        slack,
        teams,
        telegram,
        webhook,
        wecom,
    )

    _CHECKED: tuple[ProviderFactory, ...] = (
        slack.Slack,
        dingtalk.DingTalk,
        feishu.Feishu,
        wecom.WeCom,
        teams.Teams,
        webhook.Webhook,
        mattermost.Mattermost,
        discord.Discord,
        mail.Email,
        telegram.Telegram,
        google_chat.GoogleChat,
    )


def create(name: str, settings: ProviderSettings) -> Provider:
    import importlib

    spec = REGISTRY[name]
    factory: ProviderFactory = getattr(importlib.import_module(spec.module), spec.cls)
    return factory(settings)
