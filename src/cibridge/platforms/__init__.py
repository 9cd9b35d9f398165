"""CI platforms behind one small Protocol, in an explicit registry."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Protocol, TextIO

from cibridge.context import Context


class Platform(Protocol):
    """Where cibridge runs: how it reads the CI context and how it reports back."""

    name: str

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


def _registry() -> list[tuple[str, Callable[[Mapping[str, str]], bool], PlatformFactory]]:
    from cibridge.platforms.github import GitHub
    from cibridge.platforms.gitlab import GitLab
    from cibridge.platforms.local import Local

    # Checked in order: the first that recognises the environment wins, local last.
    return [
        ("github", _is_github, GitHub),
        ("gitlab", _is_gitlab, GitLab),
        ("local", lambda env: True, Local),
    ]


NAMES = ("github", "gitlab", "local")


def names() -> list[str]:
    return list(NAMES)


def detect(
    env: Mapping[str, str],
    stream: TextIO | None = None,
    err: TextIO | None = None,
    forced: str | None = None,
) -> Platform:
    out = stream if stream is not None else sys.stdout
    for name, recognises, factory in _registry():
        if forced == name or (forced is None and recognises(env)):
            return factory(env, out, err)
    raise AssertionError(f"no platform named {forced!r}")
