"""Writes requirements.lock into the install part of every GitLab component.

A component is one YAML file: the job that includes it cannot read the lock beside it. So
each template carries the lock's pins and hashes itself, between two marker lines, and its
install part writes them to a file and installs cibridge's dependencies with
``--require-hashes``: neither a package index nor the shared download cache can hand the
job another file than the one the lock names. The GitHub action installs the same lock
(scripts/setup.sh).

    python scripts/lock_components.py          # rewrite templates/*.yml
    python scripts/lock_components.py --check  # exit 1 when a template is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
TEMPLATES = ROOT / "templates"
BEGIN = "# >>> requirements.lock (scripts/lock_components.py writes this; do not edit)"
END = "# <<< requirements.lock"
INDENT = " " * 8  # the install part's lines inside `script: - |` and its if/else


def requirements(lock: str) -> list[str]:
    """One line per requirement: ``name==version [; marker] --hash=… --hash=…``."""
    joined = re.sub(r"\s*\\\n\s*", " ", lock)
    stripped = (line.strip() for line in joined.splitlines())
    return [" ".join(line.split()) for line in stripped if line and not line.startswith("#")]


def _quoted(line: str) -> str:
    return "'" + line.replace("'", "'\\''") + "'"


def block(lock: str) -> str:
    quoted = [f"{INDENT}  {_quoted(line)} \\" for line in requirements(lock)]
    body = "\n".join(quoted)
    return (
        f"{INDENT}{BEGIN}\n{INDENT}printf '%s\\n' \\\n{body}\n{INDENT}  > \"$lock\"\n{INDENT}{END}"
    )


def rewrite(text: str, lock: str) -> str:
    start = text.index(INDENT + BEGIN)
    end = text.index(END, start) + len(END)
    return text[:start] + block(lock) + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale templates")
    args = parser.parse_args()
    lock = LOCK.read_text(encoding="utf-8")
    stale = []
    for template in sorted(TEMPLATES.glob("*.yml")):
        text = template.read_text(encoding="utf-8")
        fresh = rewrite(text, lock)
        if fresh != text:
            stale.append(template.name)
            if not args.check:
                template.write_text(fresh, encoding="utf-8")
    if args.check and stale:
        sys.stderr.write(f"out of date with requirements.lock: {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
