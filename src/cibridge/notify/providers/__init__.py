"""Chat providers behind one small Protocol, in an explicit registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cibridge.http import Response
    from cibridge.notify.settings import ProviderSettings


@dataclass
class SendOptions:
    channel: str | None = None
    update: str | None = None
    thread: str | None = None
    mentions: list[dict[str, str]] = field(default_factory=list)
    mention_all: bool = False  # the mention policy applies to this message


@dataclass
class Delivery:
    """One HTTP request a provider wants sent."""

    method: str
    url: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # exact bytes to send when a signature covers them
    public_url: bool = False  # an API endpoint, not a webhook address that is itself a secret

    def shown_url(self) -> str:
        if self.public_url:
            return self.url
        from cibridge.http import origin

        return f"{origin(self.url)}/… (webhook address redacted)"


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    hint: str = ""
    message_id: str = ""
    channel_id: str = ""
    fatal_config: bool = False


def errcode_outcome(
    response: Response, hints: Mapping[int, str], explain: Callable[[int, str], str] | None = None
) -> Outcome:
    """DingTalk and WeCom answer HTTP 200 with ``errcode``: 0 is success, anything else not."""
    data = response.json()
    if not isinstance(data, dict) or "errcode" not in data:
        return Outcome(False, f"HTTP {response.status}: {response.text[:200]}")
    code = int(data["errcode"])
    if code == 0:
        return Outcome(True)
    message = str(data.get("errmsg", ""))
    hint = (explain(code, message) if explain else "") or hints.get(code, "")
    return Outcome(False, f"errcode {code}: {message}", hint)


class Provider(Protocol):
    name: str
    label: str
    extension: str  # of the built-in templates: <name>/<event>.<extension>.j2
    max_commits: int  # listed in a message before "… and N more"
    uses_channel: bool  # --channel means something (one message per channel)
    mention_keys: tuple[str, ...]  # keys of notify.mentions.users entries it reads

    def prepare(self, payload: Any, options: SendOptions) -> Delivery: ...

    def outcome(self, response: Response) -> Outcome: ...


class ProviderBase:
    """Defaults most providers share; each still declares name, label and mention_keys."""

    extension = "yml"
    max_commits = 10
    uses_channel = False
    mention_keys: tuple[str, ...] = ()

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings


ProviderFactory = Callable[["ProviderSettings"], Provider]


# name -> (module, class): only the providers a run asks for are imported.
REGISTRY: Mapping[str, tuple[str, str]] = {
    "slack": ("cibridge.notify.providers.slack", "Slack"),
    "dingtalk": ("cibridge.notify.providers.dingtalk", "DingTalk"),
    "feishu": ("cibridge.notify.providers.feishu", "Feishu"),
    "wecom": ("cibridge.notify.providers.wecom", "WeCom"),
    "teams": ("cibridge.notify.providers.teams", "Teams"),
    "webhook": ("cibridge.notify.providers.webhook", "Webhook"),
}
NAMES = tuple(REGISTRY)

if TYPE_CHECKING:  # mypy proves each registered class satisfies the Protocol
    from cibridge.notify.providers import dingtalk, feishu, slack, teams, webhook, wecom

    _CHECKED: tuple[ProviderFactory, ...] = (
        slack.Slack,
        dingtalk.DingTalk,
        feishu.Feishu,
        wecom.WeCom,
        teams.Teams,
        webhook.Webhook,
    )


def create(name: str, settings: ProviderSettings) -> Provider:
    import importlib

    module_name, class_name = REGISTRY[name]
    factory: ProviderFactory = getattr(importlib.import_module(module_name), class_name)
    return factory(settings)
