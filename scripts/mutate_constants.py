"""Mutation pass over a module's module-level constants, which mutmut leaves alone.

For each module-level assignment, each literal in its value is mutated one at a time:
a number by +1 and -1, a bool negated, a string shortened and padded, a regex character
range (``a-z``, ``\\u3040-\\u30ff``) dropped from a string, an element dropped from a
set, list, tuple or dict. The mutated module is written in place, the given pytest
selection is run, and the original is restored (always, also on Ctrl-C). A mutant is
killed when pytest fails.

Usage:
    python scripts/mutate_constants.py src/cibridge/clients/jira/keys.py \\
        -- tests/jira/test_keys.py -q -x -p no:cacheprovider

Exit status: 0 when every mutant was killed, 1 when some survived, 2 on bad usage or when
the selection fails on the unmutated module.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# A range inside a regex character class, written literally or as an escape.
_RANGE = re.compile(r"(?:\\u[0-9a-fA-F]{4}|[0-9A-Za-z])-(?:\\u[0-9a-fA-F]{4}|[0-9A-Za-z])")


@dataclass(frozen=True)
class Mutant:
    line: int
    target: str
    description: str
    source: str


def _names(target: ast.expr) -> list[str] | None:
    """The names a target binds: ``A`` or ``A, B`` (``A, B = "a", "b"``); None otherwise."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts):
        return [t.id for t in target.elts if isinstance(t, ast.Name)]
    return None


def _targets(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign):
        names = [_names(t) for t in node.targets]
        if all(n is not None for n in names):
            return ", ".join(name for n in names for name in n or [])
        return None
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return node.target.id
    return None


def _string_mutations(value: str) -> Iterator[tuple[str, str]]:
    # Ranges are matched on the source spelling, so \u escapes count as one character.
    spelled = value.encode("unicode_escape").decode("ascii")
    for match in _RANGE.finditer(spelled):
        edited = spelled[: match.start()] + spelled[match.end() :]
        yield edited.encode("ascii").decode("unicode_escape"), f"drop range {match.group()}"
    if value:
        yield value[:-1], f"drop last character of {value[:20]!r}"
    yield f"XX{value}XX", f"pad {value[:20]!r}"


def _mutations(value: ast.expr, unpacked: bool = False) -> Iterator[tuple[ast.expr, str]]:
    """Every single-edit variant of an assignment's value. When the value is unpacked
    (``A, B = "a", "b"``), its own elements are not dropped: that only fails the import."""
    nodes = list(ast.walk(value))
    for index, node in enumerate(nodes):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bytes):
            replacements: list[tuple[object, str]] = []
            if isinstance(node.value, bool):
                replacements = [(not node.value, f"negate {node.value}")]
            elif isinstance(node.value, (int, float)):
                replacements = [
                    (node.value + 1, f"{node.value} -> {node.value + 1}"),
                    (node.value - 1, f"{node.value} -> {node.value - 1}"),
                ]
            elif isinstance(node.value, str):
                replacements = list(_string_mutations(node.value))
            for new, description in replacements:
                mutated = copy.deepcopy(value)
                twin = list(ast.walk(mutated))[index]
                assert isinstance(twin, ast.Constant)
                twin.value = new
                yield mutated, description
        elements: list[ast.expr] | None = None
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            elements = [k for k in node.keys if k is not None]
        if elements is None or len(elements) < 1 or (unpacked and node is value):
            continue
        for position, element in enumerate(elements):
            if isinstance(node, ast.Set) and len(elements) == 1:
                continue  # {} would be a dict, not an empty set
            mutated = copy.deepcopy(value)
            twin_node = list(ast.walk(mutated))[index]
            if isinstance(twin_node, ast.Dict):
                del twin_node.keys[position]
                del twin_node.values[position]
            elif isinstance(twin_node, (ast.Set, ast.List, ast.Tuple)):
                del twin_node.elts[position]
            yield mutated, f"drop element {ast.unparse(element)[:30]}"


def mutants(source: str) -> Iterator[Mutant]:
    tree = ast.parse(source)
    for position, statement in enumerate(tree.body):
        target = _targets(statement)
        if target is None or getattr(statement, "value", None) is None:
            continue
        assert isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value
        unpacked = isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Tuple) for t in statement.targets
        )
        for value, description in _mutations(statement.value, unpacked):
            mutated_tree = copy.deepcopy(tree)
            mutated_statement = mutated_tree.body[position]
            assert isinstance(mutated_statement, (ast.Assign, ast.AnnAssign))
            mutated_statement.value = value
            yield Mutant(statement.lineno, target, description, ast.unparse(mutated_tree))


def _passes(pytest_args: list[str]) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path, help="the module file to mutate")
    parser.add_argument("pytest_args", nargs="+", help="pytest selection, after --")
    args = parser.parse_args(argv)
    module: Path = args.module
    original = module.read_text(encoding="utf-8")
    if not _passes(args.pytest_args):
        print("the pytest selection fails on the unmutated module; fix it first", file=sys.stderr)
        return 2
    # A timeout or kill (SIGTERM) must still restore the module, as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    killed: list[Mutant] = []
    survived: list[Mutant] = []
    try:
        for mutant in mutants(original):
            module.write_text(mutant.source, encoding="utf-8")
            (survived if _passes(args.pytest_args) else killed).append(mutant)
            state = "survived" if survived and survived[-1] is mutant else "killed"
            print(f"{state:8} line {mutant.line} {mutant.target}: {mutant.description}")
    finally:
        module.write_text(original, encoding="utf-8")
    total = len(killed) + len(survived)
    share = 100 * len(killed) / total if total else 100.0
    print(f"{module}: {len(killed)}/{total} killed ({share:.0f}%), {len(survived)} survived")
    return 0 if not survived else 1


if __name__ == "__main__":
    sys.exit(main())
