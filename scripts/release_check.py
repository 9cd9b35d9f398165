#!/usr/bin/env python3
"""Check that a release tag, the version source and everything pinned to it agree.

    python scripts/release_check.py --tag v1.0.0 [--notes FILE]

The one version source is ``__version__`` in src/cibridge/__init__.py (pyproject.toml reads
it). A release is refused unless the tag is ``v<version>`` (or ``<version>``, as the GitLab
CI/CD Catalog wants), CHANGELOG.md has a section for it, and every GitLab component installs
exactly that version by default. ``--notes`` writes that CHANGELOG section (the release
notes). With $GITHUB_OUTPUT set it also writes ``version=``, ``major=`` (``v1``) and
``gitlab-tag=`` (``1.0.0``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def version(root: Path = ROOT) -> str:
    text = (root / "src" / "cibridge" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if found is None:
        raise SystemExit("src/cibridge/__init__.py has no __version__ line")
    return found[1]


def changelog_section(version: str, root: Path = ROOT) -> str:
    """The body of ``## [<version>]`` (or ``## <version>``) in CHANGELOG.md, or ''."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.compile(rf"^## \[?{re.escape(version)}\]?(?:\s|$).*$", re.M)
    found = heading.search(text)
    if found is None:
        return ""
    rest = text[found.end() :]
    following = re.search(r"^## ", rest, re.M)
    return rest[: following.start() if following else None].strip()


def component_pins(root: Path = ROOT) -> dict[str, str]:
    """The default of each component's ``package`` input (spec section, before ``---``)."""
    pins = {}
    for component in sorted((root / "templates").glob("*.yml")):
        spec = component.read_text(encoding="utf-8").split("\n---", 1)[0]
        found = re.search(r"^    package:\n(?:      .*\n)*?      default: (.+)$", spec, re.M)
        if found:
            pins[component.name] = found[1].strip().strip("\"'")
    return pins


def problems(tag: str, root: Path = ROOT) -> list[str]:
    current = version(root)
    found = []
    if not SEMVER.fullmatch(current):
        found.append(f"__version__ {current!r} is not MAJOR.MINOR.PATCH")
    if tag not in (f"v{current}", current):
        found.append(
            f"tag {tag} does not match __version__ {current} in src/cibridge/__init__.py: "
            f"tag v{current}, or set __version__ to the tag's version and commit first"
        )
    if not changelog_section(current, root):
        found.append(f"CHANGELOG.md has no non-empty '## [{current}]' section")
    for name, pin in component_pins(root).items():
        if pin != f"cibridge=={current}":
            found.append(
                f"templates/{name}: input `package` defaults to {pin!r}, not 'cibridge=={current}'"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tag", required=True, help="the pushed tag, e.g. v1.0.0")
    parser.add_argument("--notes", type=Path, help="write the CHANGELOG section here")
    args = parser.parse_args(argv)
    found = problems(args.tag)
    if found:
        for problem in found:
            print(f"release_check: error: {problem}", file=sys.stderr)
        return 1
    current = version()
    if args.notes:
        args.notes.write_text(changelog_section(current) + "\n", encoding="utf-8")
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write(f"version={current}\nmajor=v{current.split('.')[0]}\n")
            output.write(f"gitlab-tag={current}\n")
    print(f"release {current}: tag, CHANGELOG and component pins agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
