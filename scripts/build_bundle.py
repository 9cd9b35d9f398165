#!/usr/bin/env python3
"""Build the zero-install bundle: cibridge's pure-Python runtime dependencies from the lock.

    python scripts/build_bundle.py [--lock requirements.lock] [--out bundle]

The release workflow runs this on the release ref only (main stays free of vendored code),
the way a JavaScript action ships `dist/`. scripts/setup.sh puts `<out>` on PYTHONPATH when
`<out>/bundle.json` exists, so a `uses:` step installs nothing. The output is generated,
never edited by hand:

- every distribution comes from requirements.lock, downloaded by pip with the lock's hashes
  and checked again here before it is unpacked;
- pure wheels (`py3-none-any`) are unpacked as pip would; PyYAML and MarkupSafe publish
  compiled wheels only, so their pure-Python modules are taken from the hash-checked sdist
  (both fall back to them at import time: PyYAML's SafeLoader, MarkupSafe's _native);
- compiled dependencies (cryptography and what it needs) are not bundled: their lock lines go
  to `<out>/on-demand.txt`, installed by cibridge.config.on_demand the first time a command needs
  Fernet (`enc:` values, `cibridge secret`);
- the result is refused if it holds anything compiled.

Files come from `--find-links DIR` folders first, then `--index-url` (a simple index;
default $PIP_INDEX_URL, else PyPI); `--find-links DIR --no-index` builds offline. Nothing
downloaded is built or run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
# Compiled, and needed only by commands that decrypt or encrypt: installed on demand.
ON_DEMAND = frozenset({"cryptography", "cffi", "pycparser"})
# Compiled-only wheels whose sdist holds a complete pure-Python package: where it lies.
SDIST_SOURCES: dict[str, tuple[str, ...]] = {
    "pyyaml": ("lib/yaml", "lib/_yaml"),
    "markupsafe": ("src/markupsafe",),
}
PURE_SUFFIXES = (".py", ".pyi", ".typed")
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".c", ".h", ".pyx", ".pxd")
MANIFEST = "bundle.json"
ON_DEMAND_FILE = "on-demand.txt"
DEFAULT_INDEX = "https://pypi.org/simple/"
_CANNOT = (
    "A dependency without a pure-Python build cannot be bundled: add it to ON_DEMAND in "
    "scripts/build_bundle.py, or hold it at a pure release in scripts/lock-constraints.txt"
)


class BundleError(Exception):
    pass


@dataclass
class Pin:
    name: str
    version: str
    marker: str
    hashes: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def sdist(self) -> bool:
        return self.name in SDIST_SOURCES


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> list[Pin]:
    """The pins of a `uv pip compile --generate-hashes` file, one per requirement line."""
    pins: list[Pin] = []
    for block in re.split(r"\n(?=\S)", text):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
        if not lines or not lines[0].strip():
            continue
        joined = " ".join(line.rstrip("\\").strip() for line in lines)
        head = re.match(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.*?))?\s*(?=--hash|$)", joined
        )
        if head is None:
            raise BundleError(f"cannot read this requirements.lock entry: {lines[0].strip()}")
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", joined)
        if not hashes:
            raise BundleError(f"{head[1]} has no --hash in the lock: regenerate it with hashes")
        body = "\n".join(line.rstrip() for line in lines)
        pins.append(Pin(normalise(head[1]), head[2], (head[3] or "").strip(), hashes, body))
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Sources:
    """Where files come from: local folders first, then a simple index (PEP 503)."""

    find_links: tuple[Path, ...] = ()
    index_url: str | None = DEFAULT_INDEX


def wanted(pin: Pin, filename: str) -> bool:
    """Is ``filename`` the pin's sdist (for SDIST_SOURCES) or its pure-Python wheel?"""
    if pin.sdist:
        name, _, version = filename.removesuffix(".tar.gz").rpartition("-")
        return filename.endswith(".tar.gz") and (normalise(name), version) == (
            pin.name,
            pin.version,
        )
    parts = filename.removesuffix(".whl").split("-")
    if not filename.endswith(".whl") or len(parts) not in (5, 6):
        return False
    python, abi, platform = parts[-3:]
    return (
        (normalise(parts[0]), parts[1]) == (pin.name, pin.version)
        and "py3" in python.split(".")
        and (abi, platform) == ("none", "any")
    )


def _index_links(index_url: str, pin: Pin) -> list[tuple[str, str]]:
    """(filename, url) of every file on the pin's project page."""
    page = f"{index_url.rstrip('/')}/{pin.name}/"
    try:
        with urllib.request.urlopen(page, timeout=60) as response:  # noqa: S310 - index URL
            html = response.read().decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        raise BundleError(f"{pin.requirement}: cannot read {page}: {error}") from None
    return [
        (unescape(match[2]).strip(), urllib.parse.urljoin(page, unescape(match[1])))
        for match in re.finditer(r"<a\s[^>]*href=\"([^\"]+)\"[^>]*>([^<]+)</a>", html, re.I)
    ]


def fetch(pin: Pin, sources: Sources, into: Path) -> Path:
    """The pin's file, from a local folder or the index, whose sha256 the lock lists.

    Nothing is built and nothing downloaded runs (pip would run an sdist's setup.py, with
    build dependencies the lock does not pin, just to read its metadata)."""
    kind = "sdist" if pin.sdist else "pure-Python (py3-none-any) wheel"
    local = [
        path
        for folder in sources.find_links
        for path in sorted(folder.iterdir())
        if wanted(pin, path.name)
    ]
    for path in local:
        if sha256(path) in pin.hashes:
            return path
    links = [] if sources.index_url is None else _index_links(sources.index_url, pin)
    offered = [(name, url) for name, url in links if wanted(pin, name)]
    if not local and not offered:
        where = sources.index_url or ", ".join(map(str, sources.find_links))
        raise BundleError(f"{pin.requirement}: no {kind} in {where}. {_CANNOT}")
    for name, url in offered:
        fragment = urllib.parse.urlparse(url).fragment
        if fragment.startswith("sha256=") and fragment[len("sha256=") :] not in pin.hashes:
            continue
        target = into / name
        try:
            with urllib.request.urlopen(url.split("#")[0], timeout=120) as response:  # noqa: S310
                target.write_bytes(response.read())
        except (OSError, ValueError) as error:
            raise BundleError(f"{pin.requirement}: cannot download {name}: {error}") from None
        if sha256(target) in pin.hashes:
            return target
    names = ", ".join([path.name for path in local] + [name for name, _ in offered])
    raise BundleError(
        f"{pin.requirement}: {names}: no sha256 hash matches the lock's; a changed file is "
        "never bundled (regenerate the lock if the release really changed)"
    )


def _unpack_wheel(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.is_dir() or ".." in parts or member.filename.startswith("/"):
                continue
            if parts[0].endswith(".data"):
                # Only importable code is wanted: purelib/platlib go to the top, scripts do not.
                if len(parts) < 3 or parts[1] not in {"purelib", "platlib"}:
                    continue
                parts = parts[2:]
            target = out.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


def _unpack_sdist(sdist: Path, pin: Pin, out: Path) -> None:
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
        top = PurePosixPath(members[0].name).parts[0]
        found = False
        for member in members:
            path = PurePosixPath(member.name)
            if not member.isfile() or ".." in path.parts:
                continue
            for source in SDIST_SOURCES[pin.name]:
                base = PurePosixPath(top, source)
                if path.is_relative_to(base) and path.name.endswith(PURE_SUFFIXES):
                    relative = PurePosixPath(base.name, path.relative_to(base))
                    target = out.joinpath(*relative.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    target.write_bytes(extracted.read())
                    found = True
            if path == PurePosixPath(top, "PKG-INFO"):
                extracted = archive.extractfile(member)
                assert extracted is not None
                info = out / f"{pin.name.replace('-', '_')}-{pin.version}.dist-info"
                info.mkdir(parents=True, exist_ok=True)
                (info / "METADATA").write_bytes(extracted.read())
                (info / "INSTALLER").write_text(
                    "cibridge-bundle (pure-Python modules of the sdist)\n"
                )
    if not found:
        raise BundleError(f"{sdist.name} holds none of {', '.join(SDIST_SOURCES[pin.name])}")


def _refuse_compiled(out: Path) -> None:
    compiled = sorted(
        str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(COMPILED_SUFFIXES)
    )
    if compiled:
        raise BundleError("the bundle must be pure Python, but holds: " + ", ".join(compiled))


def build(lock: Path, out: Path, sources: Sources) -> dict[str, object]:
    pins = parse_lock(lock.read_text(encoding="utf-8"))
    bundled = [p for p in pins if p.name not in ON_DEMAND]
    names = [p.name for p in bundled]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BundleError(
            f"the lock pins {', '.join(twice)} twice (per Python version); the bundle needs one"
        )
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        packages = []
        with tempfile.TemporaryDirectory() as downloads:
            for pin in bundled:
                path = fetch(pin, sources, Path(downloads))
                digest = sha256(path)
                if digest not in pin.hashes:  # fetch() returns nothing else: checked twice
                    raise BundleError(f"{path.name}: sha256 {digest} is not in the lock")
                if pin.sdist:
                    _unpack_sdist(path, pin, staging)
                else:
                    _unpack_wheel(path, staging)
                packages.append(
                    {"name": pin.name, "version": pin.version, "file": path.name, "sha256": digest}
                )
        _refuse_compiled(staging)
        (staging / ON_DEMAND_FILE).write_text(
            "# Compiled: installed by cibridge.config.on_demand when a command needs them.\n"
            + "".join(p.text + "\n" for p in pins if p.name in ON_DEMAND)
        )
        manifest: dict[str, object] = {
            "lock_sha256": sha256(lock),
            "requires_python": ">=3.10",
            "packages": packages,
            "on_demand": sorted({p.requirement for p in pins if p.name in ON_DEMAND}),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return manifest


def compile_bytecode(python: str, out: Path) -> None:
    """Bytecode validated by source hash, not mtime: a git checkout sets every mtime anew."""
    command = [python, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "checked-hash"]
    done = subprocess.run(
        [*command, str(out)], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise BundleError(f"{python} could not compile the bundle:\n{done.stdout}{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--out", type=Path, default=ROOT / "bundle")
    parser.add_argument(
        "--index-url",
        default=os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX,
        help="simple index to download from (default: $PIP_INDEX_URL, else PyPI)",
    )
    parser.add_argument(
        "--find-links", type=Path, action="append", default=[], help="folder to look in first"
    )
    parser.add_argument("--no-index", action="store_true", help="use --find-links folders only")
    parser.add_argument(
        "--compile-with",
        action="append",
        default=[],
        metavar="PYTHON",
        help="also write bytecode for this interpreter (repeatable), so a runner with that "
        "Python does not compile the bundle on its first import",
    )
    args = parser.parse_args(argv)
    sources = Sources(tuple(args.find_links), None if args.no_index else args.index_url)
    try:
        manifest = build(args.lock, args.out, sources)
        for python in args.compile_with:
            compile_bytecode(python, args.out)
    except BundleError as error:
        print(f"build_bundle: error: {error}", file=sys.stderr)
        return 1
    packages = manifest["packages"]
    assert isinstance(packages, list)
    print(f"bundle: {len(packages)} pure-Python distributions in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
