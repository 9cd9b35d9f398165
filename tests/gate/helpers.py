"""Shared builders for the gate's tests: configs from YAML text, checks with defaults."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cibridge.config import loader as config
from cibridge.gate.settings import GateSettings, MetricCheck, load
from tests.conftest import SEED


def seed() -> GateSettings:
    """The seed's post_deployment_validation example."""
    return load(config.load([SEED / "post-deployment-validation.yml"], {}))


def settings_from(text: str, tmp_path: Path, env: dict[str, str] | None = None) -> GateSettings:
    path = tmp_path / ".cibridge.yml"
    path.write_text(text, encoding="utf-8")
    return load(config.load([path], env or {}))


def metric(**fields: Any) -> MetricCheck:
    base = MetricCheck(name="check", query="up", where=".cibridge.yml:3")
    return replace(base, **fields)
