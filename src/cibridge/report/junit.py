"""JUnit XML reports, the format GitLab shows in its Tests tab (used for gate results)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from cibridge.core import redact

# Characters XML 1.0 cannot hold at all: one in a label would make the whole report unparseable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """Every attribute and text node: secrets masked, XML-invalid characters replaced."""
    return _XML_INVALID.sub("\ufffd", redact.redact(text))


@dataclass
class Case:
    name: str
    classname: str
    seconds: float = 0.0
    failure: str | None = None  # message when the case failed
    details: str = ""
    skipped: str | None = None


def render(suite: str, cases: Sequence[Case]) -> str:
    failures = sum(1 for case in cases if case.failure is not None)
    skipped = sum(1 for case in cases if case.skipped is not None)
    total = sum(case.seconds for case in cases)
    root = ET.Element(
        "testsuites", name=_clean(suite), tests=str(len(cases)), failures=str(failures)
    )
    node = ET.SubElement(
        root,
        "testsuite",
        name=_clean(suite),
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{total:.3f}",
    )
    for case in cases:
        element = ET.SubElement(
            node,
            "testcase",
            name=_clean(case.name),
            classname=_clean(case.classname),
            time=f"{case.seconds:.3f}",
        )
        if case.failure is not None:
            failure = ET.SubElement(element, "failure", message=_clean(case.failure))
            failure.text = _clean(case.details)
        if case.skipped is not None:
            ET.SubElement(element, "skipped", message=_clean(case.skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: str | Path, suite: str, cases: Sequence[Case]) -> None:
    Path(path).write_text(render(suite, cases), encoding="utf-8")
