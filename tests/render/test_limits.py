"""Templates cannot make cibridge use unbounded memory.

Hostile templates run in a child process with a 512 MB address-space limit and a CPU-time
limit, so a regression fails these tests (MemoryError, a killed child) instead of taking
the machine down.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cibridge.core.errors import CibridgeError
from cibridge.render import engine as render
from tests.conftest import REPO

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
from pathlib import Path
from cibridge.render import engine as render
from cibridge.core.errors import CibridgeError

results = {}
for name, path in json.loads(sys.argv[1]).items():
    try:
        rendered = render.render(path, {"big": "b" * 900_000}, render.search_path(None))
        results[name] = {"ok": len(rendered.text)}
    except CibridgeError as error:
        results[name] = {"code": error.exit_code, "message": error.message, "hint": error.hint}
    except MemoryError:
        results[name] = {"crash": "MemoryError"}
    except Exception as error:
        results[name] = {"crash": f"{type(error).__name__}: {error}"}
print(json.dumps(results))
"""

# name: (template, what the refusal says)
HOSTILE = {
    "repeat_string": ("{{ 'x' * 10**9 }}", "repeating a value with *"),
    "repeat_variable": ("{% set n = 1000000000 %}\n{{ 'x' * n }}", "repeating a value with *"),
    "repeat_list": ("{{ [1] * 10**9 }}", "repeating a value with *"),
    "power": ("{{ 2 ** 100000000 }}", "bits"),
    "square_in_loop": (
        "{% set ns = namespace(x=2**60000) %}{% for i in range(30) %}"
        "{% set ns.x = ns.x * ns.x %}{% endfor %}",
        "bits",
    ),
    "plus_doubling": (
        "{% set ns = namespace(s='x' * 500000) %}{% for i in range(30) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "joining values with +",
    ),
    "tilde_doubling": (
        "{% set ns = namespace(s='x' * 500000) %}{% for i in range(30) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "joining values with ~",
    ),
    "shared_list_printed": (
        "{% set a = ['x' * 500000] %}{% set b = [a,a,a,a,a,a,a,a] %}"
        "{% set c = [b,b,b,b,b,b,b,b] %}{{ c }}",
        "printing a value",
    ),
    "shared_list_tojson": (
        "{% set a = ['x' * 500000] %}{% set b = [a,a,a,a,a,a,a,a] %}"
        "{% set c = [b,b,b,b,b,b,b,b] %}{{ c | tojson }}",
        "the tojson filter",
    ),
    "center_filter": ("{{ 'x' | center(1000000000) }}", "the center filter"),
    "indent_filter": ("{{ ('\\n' * 100000) | indent(100000) }}", "the indent filter"),
    "wordwrap_filter": (
        "{{ ('x ' * 100000) | wordwrap(1, wrapstring='y' * 100000) }}",
        "the wordwrap filter",
    ),
    "format_filter": ("{{ '%.1000000000d' | format(1) }}", "the format filter"),
    "join_filter": ("{% set a = 'x' * 1000000 %}{{ [a, a, a] | join }}", "the join filter"),
    "batch_filter": ("{{ [1] | batch(1000000000, 'x') | list | length }}", "the batch filter"),
    "ljust_method": ("{{ 'x'.ljust(1000000000) }}", "str.ljust()"),
    "replace_method": ("{{ ('x' * 100000).replace('x', 'y' * 100000) }}", "str.replace()"),
    "join_method": ("{% set a = 'x' * 1000000 %}{{ ''.join([a, a, a]) }}", "str.join()"),
    "translate_method": (
        "{{ ('x' * 100000).translate({120: 'y' * 100000}) }}",
        "str.translate()",
    ),
    "expandtabs_method": ("{{ ('\\t' * 100000).expandtabs(100000) }}", "str.expandtabs()"),
    "str_format": ("{{ '{:>1000000000}'.format('x') }}", "str.format()"),
    "str_format_map": ("{{ '{a:>1000000000}'.format_map({'a': 1}) }}", "str.format()"),
    "percent": ("{{ '%1000000000s' % 'x' }}", "formatting with %"),
    "lipsum": ("{{ lipsum(1000000) }}", "lipsum()"),
    "output_loop": (
        "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx"
        "{% endfor %}{% endfor %}",
        "the output is longer than",
    ),
    "set_block_loop": (
        "{% set s %}{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx"
        "{% endfor %}{% endfor %}{% endset %}{{ s | length }}",
        "{% set %}",
    ),
    "filter_block_loop": (
        "{% filter upper %}{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx"
        "{% endfor %}{% endfor %}{% endfilter %}",
        "{% set %}",
    ),
    "call_block_loop": (
        "{% macro m() %}{% for i in range(100000) %}{{ caller() }}{% endfor %}{% endmacro %}"
        "{% call m() %}{% for j in range(1000) %}yyyyyyyyy{% endfor %}{% endcall %}",
        "macro",
    ),
    "self_block": (
        "{% set x = self.b() %}{% if false %}{% block b %}{% for i in range(100000) %}"
        "{% for j in range(1000) %}xxxxxxxxxx{% endfor %}{% endfor %}{% endblock %}{% endif %}",
        "a block",
    ),
    "doubling_macro": (
        "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% else %}xxxxxxxxxxxxxxxx"
        "{% endif %}{% endmacro %}{{ m(40) | length }}",
        "characters of text in all",
    ),
    "many_medium_values": (
        "{{ range(100000) | map('string') | map('center', 1000000) | list | length }}",
        "characters of text in all",
    ),
}
DATA_HOSTILE = {
    "repeated_placeholder": (
        "{% set s %}{{ big }}{% endset %}\n{% filter replace('Q', s * 1000) %}t: Q{% endfilter %}\n",
        "the payload",
    ),
    "many_references": (
        "items:\n{% for i in range(60000) %}\n  - {{ big }}\n{% endfor %}\n",
        "characters",
    ),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for cases, suffix in ((HOSTILE, ".txt.j2"), (DATA_HOSTILE, ".yml.j2")):
        for name, (text, _expected) in cases.items():
            (folder / f"{name}{suffix}").write_text(text)
            paths[name] = str(folder / f"{name}{suffix}")
    src = REPO / "src"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, dict[str, Any]] = json.loads(done.stdout)
    for name, result in results.items():
        result["path"] = paths[name]
    return results


@pytest.mark.parametrize("name", [*HOSTILE, *DATA_HOSTILE])
def test_hostile_template_is_refused_within_memory(
    name: str, outcomes: dict[str, dict[str, Any]]
) -> None:
    result = outcomes[name]
    expected = {**HOSTILE, **DATA_HOSTILE}[name][1]
    assert "crash" not in result, result
    assert "ok" not in result, f"rendered {result.get('ok')} characters"
    assert result["code"] == 2
    assert expected in result["message"]
    assert Path(result["path"]).name in result["message"]  # names the template
    assert result["hint"]


def test_refusal_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("one\ntwo\n{{ 'x' * 10**9 }}\n")
    with pytest.raises(CibridgeError) as caught:
        render.render(str(tmp_path / "t.txt.j2"), {}, [])
    assert f"{tmp_path / 't.txt.j2'}:3" in caught.value.message


def test_limit_applies_in_included_templates_and_names_them(tmp_path: Path) -> None:
    (tmp_path / "part.txt").write_text("\n{{ 'x'.ljust(10**9) }}")
    (tmp_path / "t.txt.j2").write_text("{% include 'part.txt' %}")
    with pytest.raises(CibridgeError) as caught:
        render.render(str(tmp_path / "t.txt.j2"), {}, [])
    assert f"{tmp_path / 'part.txt'}:2" in caught.value.message


def _text(tmp_path: Path, template: str, **variables: object) -> str:
    (tmp_path / "t.txt.j2").write_text(template)
    text: str = render.render(str(tmp_path / "t.txt.j2"), variables, []).text
    return text


def test_output_exactly_at_the_limit_renders(tmp_path: Path) -> None:
    limit = render.MAX_OUTPUT_CHARS
    assert len(_text(tmp_path, "{{ 'x' * n }}", n=limit)) == limit
    assert len(_text(tmp_path, "{{ 'x' * (n - 1) }}y", n=limit)) == limit
    with pytest.raises(CibridgeError, match="repeating a value"):
        _text(tmp_path, "{{ 'x' * (n + 1) }}", n=limit)
    with pytest.raises(CibridgeError, match="output is longer"):
        _text(tmp_path, "{{ 'x' * n }}y", n=limit)


def test_recursion_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CibridgeError) as caught:
        _text(tmp_path, "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(1) }}")
    assert caught.value.exit_code == 2
    assert "nest too deeply" in caught.value.message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'ab' * 3 }}|{{ 3 * 'c' }}|{{ [1] * 2 }}", "ababab|ccc|[1, 1]"),
        ("{{ 2 ** 10 }}|{{ 2.5 * 2 }}|{{ 7 % 3 }}|{{ 1 + 2 }}", "1024|5.0|1|3"),
        ("{{ 'a' + 'b' }}|{{ [1] + [2] }}|{{ 'x' ~ 1 ~ none }}", "ab|[1, 2]|x1None"),
        ("{{ '%5s|%-3d|%.2f' % ('a', 7, 3.14159) }}", "    a|7  |3.14"),
        ("{{ '%(a)s' | format(a=1) }}|{{ '%s-%s' | format(1, 2) }}", "1|1-2"),
        ("{{ '{:>5}|{:.1f}|{n}'.format('a', 2.25, n=3) }}", "    a|2.2|3"),
        ("{{ '{a}'.format_map({'a': 'b'}) }}", "b"),
        ("{{ 'x' | center(5) }}|{{ 'a\nb' | indent(2) }}", "  x  |a\n  b"),
        ("{{ ['a', 'b'] | join(', ') }}|{{ ', '.join(['c', 'd']) }}", "a, b|c, d"),
        ("{{ 'aXa' | replace('X', 'yy') }}|{{ 'ab'.replace('b', 'cc') }}", "ayya|acc"),
        ("{{ 'one two three' | wordwrap(7) }}", "one two\nthree"),
        ("{{ [1, 2, 3] | batch(2) | list }}|{{ [1, 2, 3] | slice(2) | list }}", ""),
        ("{% set s %}in {{ 1 }}{% endset %}{{ s }}|{{ 'x'.ljust(3) }}|", "in 1|x  |"),
        ("{% for c in 'ab' %}{{ loop.cycle('-', '+') }}{{ c }}{% endfor %}", "-a+b"),
        ("{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}{{ m(2) }}", "<1><2>"),
        ("{{ lipsum(1, false, 5, 6) | wordcount }}", "5"),
    ],
)
def test_ordinary_templates_are_untouched(tmp_path: Path, template: str, expected: str) -> None:
    result = _text(tmp_path, template)
    if expected:
        assert result == expected
    else:
        assert result == "[[1, 2], [3]]|[[1, 2], [3]]"


def test_one_large_context_value_can_be_printed(tmp_path: Path) -> None:
    commits = [{"sha": f"{i:040x}", "message": "m" * 200} for i in range(2048)]
    result = _text(
        tmp_path,
        "{% for c in commits %}{{ c.sha[:8] }} {{ c.message }}\n{% endfor %}",
        commits=commits,
    )
    assert len(result.splitlines()) == 2048
