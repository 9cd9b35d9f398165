"""Chat providers behind one small Protocol, in an explicit registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from cibridge.http import Response
from cibridge.notify.settings import ProviderSettings


@dataclass
class SendOptions:
    channel: str | None = None
    update: str | None = None
    thread: str | None = None
    mentions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Delivery:
    """One HTTP request a provider wants sent."""

    method: str
    url: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # exact bytes to send when a signature covers them

    def shown_url(self, public: bool = False) -> str:
        if public:
            return self.url
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/… (webhook address redacted)"


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    hint: str = ""
    message_id: str = ""
    channel_id: str = ""
    fatal_config: bool = False


class Provider(Protocol):
    name: str
    label: str
    extension: str
    max_commits: int

    def prepare(self, payload: Any, options: SendOptions) -> Delivery: ...

    def outcome(self, response: Response) -> Outcome: ...

    def mention_keys(self) -> tuple[str, ...]: ...


ProviderFactory = Callable[[ProviderSettings], Provider]


def registry() -> Mapping[str, ProviderFactory]:
    from cibridge.notify.providers.dingtalk import DingTalk
    from cibridge.notify.providers.feishu import Feishu
    from cibridge.notify.providers.slack import Slack
    from cibridge.notify.providers.teams import Teams
    from cibridge.notify.providers.webhook import Webhook
    from cibridge.notify.providers.wecom import WeCom

    return {
        "slack": Slack,
        "dingtalk": DingTalk,
        "feishu": Feishu,
        "wecom": WeCom,
        "teams": Teams,
        "webhook": Webhook,
    }


NAMES = ("slack", "dingtalk", "feishu", "wecom", "teams", "webhook")
