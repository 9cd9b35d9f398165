"""What ``config check`` finds in the chat providers' sections, through the getters a
send calls (one code path: the check and the send refuse with the same words)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from cibridge.config import variables
from cibridge.config.loader import Config
from cibridge.core.errors import CibridgeError
from cibridge.notify.providers import REGISTRY, create
from cibridge.notify.settings import ProviderSettings


def problems(config: Config, env: Mapping[str, str]) -> list[CibridgeError]:
    """What a send would refuse in each enabled provider section of the files, found
    without rendering or sending: a webhook or API URL that is no http(s) URL, a timeout
    that is no duration. An unset value comes back as its error too (the caller keeps it a
    warning)."""
    found: list[CibridgeError] = []
    for name in REGISTRY:
        settings = ProviderSettings(name, config, env)
        try:
            if not (settings.configured() and settings.enabled()):
                continue
        except CibridgeError as error:  # an `enabled: ${VAR}` that is not set
            found.append(error)
            continue
        checks: list[Callable[[], object]] = [partial(_provider, name, settings), settings.timeout]
        for check in checks:
            try:
                check()
            except CibridgeError as error:
                found.append(error)
    return found


def _provider(name: str, settings: ProviderSettings) -> None:
    """The provider's URLs: its webhook, and its API base where it reads one."""
    provider = create(name, settings)
    settings.given_webhook_url(provider.label, variables.find(name, "webhook_url"))
    env_name = provider.api_url_env
    if env_name and settings.value("api_url", env_name) is not None:
        settings.api_url(provider.label, env_name, "")
