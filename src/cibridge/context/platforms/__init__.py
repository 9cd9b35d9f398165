"""CI platforms behind one small Protocol, in an explicit registry."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from cibridge.context.model import Context


class Platform(Protocol):
    """Where cibridge runs: how it reads the CI context and how it reports back."""

    name: str
    outputs: dict[str, str]  # every output the command set, as given

    def context(self, env: Mapping[str, str], cwd: str) -> Context: ...

    def mask(self, secret: str) -> None: ...

    def set_outputs(self, outputs: Mapping[str, str]) -> None: ...

    def summary(self, markdown: str) -> None: ...

    def error(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def group(self, title: str) -> AbstractContextManager[None]: ...

    def untrusted(self) -> AbstractContextManager[None]: ...

    def print(self, text: str) -> None: ...

    def print_err(self, text: str) -> None: ...


class PlatformFactory(Protocol):
    def __call__(
        self, env: Mapping[str, str], stream: TextIO, err: TextIO | None = None
    ) -> Platform: ...


def _is_github(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def _is_gitlab(env: Mapping[str, str]) -> bool:
    # gitlab-ci-local runs real pipelines but sets GITLAB_CI=false; CI_JOB_ID and
    # CI_PROJECT_DIR are set by both it and GitLab's runners.
    return env.get("GITLAB_CI") == "true" or bool(
        env.get("CI_JOB_ID") and env.get("CI_PROJECT_DIR")
    )


def _is_azure_pipelines(env: Mapping[str, str]) -> bool:
    # "Set to True if the script is being run by a build task" (predefined variables).
    return env.get("TF_BUILD", "").lower() == "true"


# name, recognises(env), "module:Class"; checked in order, local last. Only the platform
# in use is imported.
_REGISTRY: list[tuple[str, Callable[[Mapping[str, str]], bool], str]] = [
    ("github", _is_github, "cibridge.context.platforms.github:GitHub"),
    ("gitlab", _is_gitlab, "cibridge.context.platforms.gitlab:GitLab"),
    ("azure-pipelines", _is_azure_pipelines, "cibridge.context.platforms.azure:AzurePipelines"),
    ("local", lambda env: True, "cibridge.context.platforms.local:Local"),
]


def _factory(target: str) -> PlatformFactory:
    import importlib

    module, name = target.split(":")
    factory: PlatformFactory = getattr(importlib.import_module(module), name)
    return factory


NAMES = tuple(name for name, _recognises, _target in _REGISTRY)

if TYPE_CHECKING:  # mypy proves each registered class satisfies the Protocol
    from cibridge.context.platforms import azure, github, gitlab, local

    _CHECKED: tuple[PlatformFactory, ...] = (
        github.GitHub,
        gitlab.GitLab,
        azure.AzurePipelines,
        local.Local,
    )


def detect(
    env: Mapping[str, str],
    stream: TextIO | None = None,
    err: TextIO | None = None,
    forced: str | None = None,
) -> Platform:
    out = stream if stream is not None else sys.stdout
    for name, recognises, target in _REGISTRY:
        if forced == name or (forced is None and recognises(env)):
            return _factory(target)(env, out, err)
    raise AssertionError(f"no platform named {forced!r}")
