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
    that is no duration."""
    found: list[CibridgeError] = []
    for name in REGISTRY:
        settings = ProviderSettings(name, config, env)
        if not settings.configured() or not settings.enabled():
            continue
        label = create(name, settings).label
        api_env = variables.find(name, "api_url")
        checks: list[Callable[[], object]] = [
            partial(settings.given_webhook_url, label, variables.find(name, "webhook_url")),
            settings.timeout,
        ]
        if settings.value("api_url", api_env) is not None:
            checks.append(partial(settings.api_url, label, api_env, ""))
        for check in checks:
            try:
                check()
            except CibridgeError as error:
                found.append(error)
    return found
