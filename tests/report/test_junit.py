from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from cibridge.core import redact
from cibridge.report import junit


def test_report_round_trips_and_escapes(tmp_path: Path) -> None:
    redact.register("junit-canary-secret")
    cases = [
        junit.Case("error_rate <= 0.01", "gate.metrics", 1.5),
        junit.Case(
            'latency "p95" < 0.5 & <fast>',
            "gate.metrics",
            2.0,
            failure="0.72 > 0.5",
            details="query: histogram_quantile(...)\ntoken junit-canary-secret",
        ),
        junit.Case("tcp api:443", "gate.health", skipped="no data yet"),
    ]
    path = tmp_path / "report.xml"
    junit.write(path, "cibridge gate", cases)
    text = path.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "junit-canary-secret" not in text
    suite = ET.parse(path).getroot().find("testsuite")  # noqa: S314 - our own output
    assert suite is not None
    assert suite.attrib == {
        "name": "cibridge gate",
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
        "time": "3.500",
    }
    failed = suite.findall("testcase")[1]
    assert failed.attrib["name"] == 'latency "p95" < 0.5 & <fast>'
    failure = failed.find("failure")
    assert failure is not None and failure.attrib["message"] == "0.72 > 0.5"
    assert (failure.text or "").startswith("query: histogram_quantile")
    assert suite.findall("testcase")[2].find("skipped") is not None


def test_control_characters_and_secrets_never_reach_the_xml() -> None:
    redact.register("junit-attr-secret")
    cases = [
        junit.Case(
            "GET https://h/x\x00\x1b[31m\x0bjunit-attr-secret",
            "gate\x07.http junit-attr-secret",
            failure="bad\x01 junit-attr-secret",
            details="d\x02 junit-attr-secret",
        ),
        junit.Case("skip\x08", "c", skipped="s\x1f junit-attr-secret"),
    ]
    text = junit.render("suite\x03 junit-attr-secret", cases)
    root = ET.fromstring(text.split("\n", 1)[1])  # noqa: S314 - our own output; it parses
    assert "junit-attr-secret" not in text
    everything = [root.attrib, *(node.attrib for node in root.iter())]
    values = [v for attrs in everything for v in attrs.values()]
    values += [node.text or "" for node in root.iter()]
    assert not any(ch in value for value in values for ch in "\x00\x01\x02\x03\x07\x08\x0b\x1f")
