"""The parsed-template cache (cibridge.render.parsed): a warm run gets exactly what parsing
would give, values still go back in by reference, and only safe files are read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cibridge.render import engine as render

TEMPLATE = (
    "blocks:\n"
    "  - text: {{ message }}\n"
    "    count: 3\n"
    "    ratio: 0.5\n"
    "    flag: true\n"
    "    none: null\n"
    "  - {{ key }}: fixed {{ message }} tail\n"
)


def _render(tmp_path: Path, values: dict[str, object], text: str = TEMPLATE) -> render.Rendered:
    template = tmp_path / "t.yml.j2"
    template.write_text(text)
    env = {"CIBRIDGE_CACHE_DIR": str(tmp_path / "cache")}
    return render.render(str(template), values, render.search_path(None), env=env)


def _kept(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("yaml-*/*.json"))


def test_a_warm_render_gives_what_parsing_gives(tmp_path: Path) -> None:
    values = {"message": "a: b\n- [x]\n{{ y }} # not yaml", "key": "k: v"}
    fresh = _render(tmp_path, values).data
    assert len(_kept(tmp_path)) == 1
    warm = _render(tmp_path, values).data
    assert warm == fresh
    assert fresh["blocks"][0] == {
        "text": values["message"], "count": 3, "ratio": 0.5, "flag": True, "none": None
    }  # fmt: skip
    assert fresh["blocks"][1] == {"k: v": f"fixed {values['message']} tail"}
    other = _render(tmp_path, {"message": 7, "key": "x"}).data  # same text, other values
    assert other["blocks"][0]["text"] == 7 and other["blocks"][1] == {"x": "fixed 7 tail"}
    assert len(_kept(tmp_path)) == 1


def test_a_structure_json_cannot_give_back_is_not_kept(tmp_path: Path) -> None:
    _render(tmp_path, {"message": "m"}, "when: 2024-01-01\n1: {{ message }}\n")
    assert _kept(tmp_path) == []


def test_a_kept_file_someone_else_could_write_is_not_read(tmp_path: Path) -> None:
    _render(tmp_path, {"message": "m", "key": "k"})
    (kept,) = _kept(tmp_path)
    kept.write_text(json.dumps({"tree": {"map": [[["planted"], ["yes"]]]}}))
    assert _render(tmp_path, {"message": "m", "key": "k"}).data == {"planted": "yes"}  # control
    os.chmod(kept, 0o664)  # group-writable: someone else could have written it
    assert "blocks" in _render(tmp_path, {"message": "m", "key": "k"}).data


@pytest.mark.parametrize("planted", ["not json", json.dumps([1]), json.dumps({"x": 1})])
def test_a_broken_kept_file_is_parsed_again(tmp_path: Path, planted: str) -> None:
    _render(tmp_path, {"message": "m", "key": "k"})
    (kept,) = _kept(tmp_path)
    kept.write_text(planted)
    assert "blocks" in _render(tmp_path, {"message": "m", "key": "k"}).data


def test_a_warm_render_imports_no_yaml(tmp_path: Path) -> None:
    (tmp_path / "t.yml.j2").write_text(TEMPLATE)
    probe = (
        "import sys; from cibridge.render import engine as r; "
        f"t = r.render({str(tmp_path / 't.yml.j2')!r}, {{'message': 'm', 'key': 'k'}}, "
        f"r.search_path(None), env={{'CIBRIDGE_CACHE_DIR': {str(tmp_path / 'cache')!r}}}); "
        "print(t.data['blocks'][1], 'yaml' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    shown = [run.stdout.strip() for run in runs]
    assert shown == ["{'k': 'fixed m tail'} True", "{'k': 'fixed m tail'} False"]
