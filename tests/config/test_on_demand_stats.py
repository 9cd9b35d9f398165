"""The hash-locked SciPy list the canary comparison installs on demand: in step with the
``stats`` extra, binary, and read only when a comparison runs."""

from __future__ import annotations

import re

from cibridge.config import on_demand
from tests.conftest import REPO


def test_the_list_is_compiled_from_the_stats_extra() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    [scipy] = re.findall(r'^stats = \["([^"]+)"\]$', pyproject, re.M)  # tomllib: 3.11+
    text = on_demand.STATS_FILE.read_text()
    assert f"echo '{scipy}' | uv pip compile - --universal --python-version 3.10" in text
    assert "--generate-hashes --only-binary :all:" in text
    pins = re.findall(r"^(\w+)==([\d.]+) ; (.+?) \\$", text, re.M)
    assert {name for name, _v, _marker in pins} == {"numpy", "scipy"}
    # One pin per Python the package supports, each pin with hashes.
    assert any("< '3.11'" in marker for name, _v, marker in pins if name == "scipy")
    assert text.count("--hash=sha256:") > 50
    test_extra = pyproject[pyproject.index("test = [") : pyproject.index("stats = [")]
    assert f'"{scipy}"' in test_extra  # the suite runs the real test
