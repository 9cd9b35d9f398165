"""Loopback stand-ins for Slack, DingTalk, Feishu, WeCom, Teams, a generic receiver,
Mattermost, Discord, Telegram, Google Chat, Jira, Azure Boards, the GitHub and GitLab APIs,
a Mimir ruler and Datadog.

They validate as strictly as the services (signatures recomputed independently, Slack
blocks through slack_sdk's models when it is installed, the documented size limits) and
answer with the services' real error bodies. ``cibridge demo`` and the tests use them.

One module per service, each a small class satisfying :class:`server.Service`; adding
one (Jira, a CI platform's API) means one module and one line in ``SERVICES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from cibridge.demo.standins.azure_boards import (
    AZURE_DEVOPS_BEARER,
    AZURE_DEVOPS_PAT,
    AzureBoards,
    boards_of,
)
from cibridge.demo.standins.cdevents_sink import CDEventsSink
from cibridge.demo.standins.datadog import DATADOG_API_KEY, DATADOG_APP_KEY, Datadog, datadog_of
from cibridge.demo.standins.dingtalk import DINGTALK_SECRET, DINGTALK_TOKEN, DingTalk
from cibridge.demo.standins.discord import (
    DISCORD_CHANNEL,
    DISCORD_THREAD,
    DISCORD_TOKEN,
    Discord,
)
from cibridge.demo.standins.feishu import FEISHU_HOOK, FEISHU_SECRET, Feishu
from cibridge.demo.standins.github_api import GITHUB_API_TOKEN, GitHubApi
from cibridge.demo.standins.gitlab_api import (
    GITLAB_API_TOKEN,
    GITLAB_JOB_TOKEN,
    GITLAB_TRIGGER_TOKEN,
    GitLabApi,
)
from cibridge.demo.standins.google_chat import GOOGLE_CHAT_KEY, GOOGLE_CHAT_TOKEN, GoogleChat
from cibridge.demo.standins.jira import (
    JIRA_CLIENT_ID,
    JIRA_CLIENT_SECRET,
    JIRA_EMAIL,
    JIRA_PAT,
    JIRA_TOKEN,
    Jira,
    jira_of,
)
from cibridge.demo.standins.mattermost import (
    MATTERMOST_CHANNELS,
    MATTERMOST_HOOK,
    MATTERMOST_TOKEN,
    Mattermost,
    pings,
)
from cibridge.demo.standins.mimir_ruler import RULER_TENANT, MimirRuler
from cibridge.demo.standins.server import (
    Answer,
    Behaviour,
    LoopbackServer,
    RawHandler,
    Received,
    Request,
    Service,
)
from cibridge.demo.standins.slack import (
    SLACK_CHANNELS,
    SLACK_HOOK,
    SLACK_TOKEN,
    Slack,
    slack_block_errors,
)
from cibridge.demo.standins.teams import TEAMS_SIG, Teams
from cibridge.demo.standins.telegram import TELEGRAM_CHAT, TELEGRAM_TOKEN, TELEGRAM_TOPIC, Telegram
from cibridge.demo.standins.webhook import WEBHOOK_SECRET, Webhook
from cibridge.demo.standins.wecom import WECOM_KEY, WeCom

__all__ = [
    "AZURE_DEVOPS_BEARER",
    "AZURE_DEVOPS_PAT",
    "DATADOG_API_KEY",
    "DATADOG_APP_KEY",
    "DINGTALK_SECRET",
    "DINGTALK_TOKEN",
    "DISCORD_CHANNEL",
    "DISCORD_THREAD",
    "DISCORD_TOKEN",
    "FEISHU_HOOK",
    "FEISHU_SECRET",
    "GITHUB_API_TOKEN",
    "GITLAB_API_TOKEN",
    "GITLAB_JOB_TOKEN",
    "GITLAB_TRIGGER_TOKEN",
    "GOOGLE_CHAT_KEY",
    "GOOGLE_CHAT_TOKEN",
    "JIRA_CLIENT_ID",
    "JIRA_CLIENT_SECRET",
    "JIRA_EMAIL",
    "JIRA_PAT",
    "JIRA_TOKEN",
    "MATTERMOST_CHANNELS",
    "MATTERMOST_HOOK",
    "MATTERMOST_TOKEN",
    "RULER_TENANT",
    "SERVICES",
    "SLACK_CHANNELS",
    "SLACK_HOOK",
    "SLACK_TOKEN",
    "TEAMS_SIG",
    "TELEGRAM_CHAT",
    "TELEGRAM_TOKEN",
    "TELEGRAM_TOPIC",
    "WEBHOOK_SECRET",
    "WECOM_KEY",
    "Answer",
    "AzureBoards",
    "Behaviour",
    "CDEventsSink",
    "Datadog",
    "Discord",
    "GitHubApi",
    "GitLabApi",
    "GoogleChat",
    "Jira",
    "Mattermost",
    "MimirRuler",
    "RawHandler",
    "Received",
    "Request",
    "Service",
    "StandIns",
    "Telegram",
    "boards_of",
    "datadog_of",
    "jira_of",
    "pings",
    "slack_block_errors",
]

# The registry: every stand-in the server mounts, in the order their environment
# variables are listed. Each entry builds its service from the shared knobs.
SERVICES: tuple[Callable[[Behaviour], Service], ...] = (
    Slack,
    DingTalk,
    Feishu,
    WeCom,
    Teams,
    Webhook,
    Mattermost,
    Discord,
    Telegram,
    GoogleChat,
    Jira,
    AzureBoards,
    GitHubApi,
    GitLabApi,
    MimirRuler,
    Datadog,
    CDEventsSink,
)


class StandIns:
    """All registered stand-ins on one loopback port: ``with StandIns() as s: s.env()``."""

    def __init__(
        self,
        services: tuple[Callable[[Behaviour], Service], ...] = SERVICES,
        *,
        specs: Path | None = None,
    ) -> None:
        self.behaviour = Behaviour(specs=specs)
        self.services = [make(self.behaviour) for make in services]
        self._server = LoopbackServer(self.services, self.behaviour)

    @property
    def base(self) -> str:
        return self._server.base

    @property
    def received(self) -> list[Received]:
        return self._server.received

    @property
    def stopped(self) -> threading.Event:
        """Set once stopping begins: a raw handler waits on it instead of sleeping."""
        return self._server.stopped

    def env(self) -> dict[str, str]:
        """Environment variables that point every provider at these stand-ins."""
        env: dict[str, str] = {}
        for service in self.services:
            env.update(service.env(self.base))
        return env

    def of(self, service: str) -> list[Received]:
        return [r for r in self.received if r.service == service]

    def override(self, path: str, handler: RawHandler, *, times: int | None = None) -> None:
        """Answer ``path`` with a raw handler (see ``LoopbackServer.override``)."""
        self._server.override(path, handler, times=times)

    def __enter__(self) -> StandIns:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
