"""The hash-locked lists the event stream's transports install on demand (nats-py, pika,
confluent-kafka): each in step with its extra, binary and hashed. (The NATS install itself
runs under act in tests/e2e/test_events_e2e.py, where the action's environment has no
nats-py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cibridge.config import on_demand
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("extra", "path", "packages"),
    [
        ("nats", on_demand.NATS_FILE, ["nats-py"]),
        ("rabbitmq", on_demand.RABBITMQ_FILE, ["pika"]),
        ("kafka", on_demand.KAFKA_FILE, ["confluent-kafka", "typing-extensions"]),
    ],
)
def test_each_list_is_compiled_from_its_extra(extra: str, path: Path, packages: list[str]) -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    [wanted] = re.findall(rf'^{extra} = \["([^"]+)"\]$', pyproject, re.M)
    text = path.read_text()
    assert f"echo '{wanted}' | uv pip compile - --universal --python-version 3.10" in text
    assert "--generate-hashes --only-binary :all:" in text
    assert re.findall(r"^([\w-]+)==", text, re.M) == packages
    assert text.count("--hash=sha256:") >= len(packages)
    test_extra = pyproject[pyproject.index("test = [") : pyproject.index("stats = [")]
    assert f'"{wanted}"' in test_extra  # the suite runs the transport against its peer
