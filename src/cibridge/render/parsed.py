"""Parsed data templates kept between runs, so a warm runner parses no YAML (and does not
import PyYAML) to send a message it has sent before.

A data template's rendered text holds a random placeholder for every value it prints
(``render_data``), so the same template taking the same branches renders the same text but
for the run's nonce. The text is cut at the nonce, and the parsed structure is kept, cut the
same way in every string, as JSON under the SHA-256 of the pieces: a later run that renders
the same pieces gets back exactly what parsing its own text would give (a placeholder holds
letters, so it never changes how YAML resolves a scalar). Kept only where the compiled
templates are (a folder only this user can write; only files this user wrote are read), as
JSON (never pickle), and only for what JSON gives back exactly: string keys; strings,
integers, finite floats, booleans, null and lists as values. The key also names the PyYAML
install, so an upgrade starts afresh.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from cibridge.core import log
from cibridge.core.private import private_folder, why_unsafe

FORMAT = "p1"
MAX_BYTES = 1024 * 1024  # a kept structure larger than this is parsed each run


class ParsedCache:
    def __init__(self, directory: Path, parser: str) -> None:
        self.directory = directory
        self.parser = parser

    def _file(self, text: str, nonce: str) -> Path:
        pieces = json.dumps([self.parser, text.split(nonce)], ensure_ascii=False)
        return self.directory / (hashlib.sha256(pieces.encode()).hexdigest() + ".json")

    def get(self, text: str, nonce: str) -> tuple[bool, Any]:
        """(True, the structure with this run's nonce) when kept, else (False, None)."""
        path = self._file(text, nonce)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the checks
        except OSError:
            return False, None
        with handle:
            # Checked on the open file, so it cannot be swapped between the check and the read.
            problem = why_unsafe(os.fstat(handle.fileno()), stat.S_ISREG, "regular file")
            if problem:
                log.debug(f"parsed-template cache: ignoring {path} ({problem})")
                return False, None
            raw = handle.read(MAX_BYTES + 1)
        try:
            kept = json.loads(raw)
        except ValueError:
            return False, None
        if len(raw) > MAX_BYTES or not isinstance(kept, dict) or "tree" not in kept:
            return False, None
        return True, _joined(kept["tree"], nonce)

    def put(self, text: str, nonce: str, tree: Any) -> None:
        """Keep ``tree``, parsed from ``text``, when JSON gives it back exactly."""
        if not _exact(tree):
            return
        encoded = json.dumps({"tree": _cut(tree, nonce)}, ensure_ascii=False).encode()
        if len(encoded) > MAX_BYTES:
            return
        path = self._file(text, nonce)
        try:
            fd, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(encoded)
            os.replace(temporary, path)
        except OSError as error:
            log.debug(f"parsed-template cache: not written ({error})")


def parsed_cache(root: Path | None) -> ParsedCache | None:
    """The cache under ``root`` (cibridge's cache folder), or None where it would not be safe."""
    if root is None:
        return None
    parser = _parser_id()
    if parser is None:
        return None
    directory = root / f"yaml-{FORMAT}"
    for path in (root, directory):
        problem = private_folder(path)
        if problem:
            log.debug(f"parsed-template cache not used: {path} is {problem}")
            return None
    return ParsedCache(directory, parser)


def _parser_id() -> str | None:
    """The installed PyYAML, named without importing it: its folder and files' stamps."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        return None
    folder = os.path.dirname(spec.origin)
    try:
        stamps = [os.stat(folder), os.stat(spec.origin)]
    except OSError:
        return None
    return ":".join([folder, *(f"{s.st_mtime_ns}.{s.st_size}" for s in stamps)])


def _exact(node: Any) -> bool:
    if node is None or isinstance(node, (str, bool, int)):
        return True
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, list):
        return all(_exact(item) for item in node)
    if isinstance(node, dict):
        return all(isinstance(k, str) and _exact(v) for k, v in node.items())
    return False


def _cut(node: Any, nonce: str) -> Any:
    """Every string as the list of its pieces between nonces (a string stays a list)."""
    if isinstance(node, str):
        return node.split(nonce)
    if isinstance(node, list):
        return {"list": [_cut(item, nonce) for item in node]}
    if isinstance(node, dict):
        return {"map": [[k.split(nonce), _cut(v, nonce)] for k, v in node.items()]}
    return node


def _joined(node: Any, nonce: str) -> Any:
    if isinstance(node, list):
        return nonce.join(str(piece) for piece in node)
    if isinstance(node, dict):
        if "list" in node:
            return [_joined(item, nonce) for item in node["list"]]
        return {nonce.join(k): _joined(v, nonce) for k, v in node["map"]}
    return node
