"""The fenced examples of README.md and docs/, read as a reader would copy them.

Each block is classified by what it is: a GitHub workflow (``uses:`` of our actions), a
GitLab pipeline (``component:`` of our components), a ``.cibridge.yml`` (its top-level keys
are the configuration's), a shell session (lines starting ``cibridge``), or something else
(a template, a query, output). tests/project/test_doc_examples.py checks each kind against
what it refers to, so a renamed input, option or key fails the suite instead of a reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted(p for p in (REPO / "docs").glob("*.md"))]
CONFIG_KEYS = {
    "integrations",
    "integration_configs",
    "notify",
    "deployment_triggers",
    "pipelines",
    "post_deployment_validation",
    "events",
    "release",
}
_FENCE = re.compile(r"^```([A-Za-z0-9_-]*)\s*$")
# Written on the line before a fence: a block that is knowingly not whole (elisions, an
# excerpt of output) says so, and why, in the page source beside it.
_LABEL = re.compile(r"^<!-- example: (fragment|output): (.+) -->$")


@dataclass(frozen=True)
class Example:
    page: Path
    line: int  # of the opening fence
    language: str
    text: str
    label: str = ""  # "fragment" or "output": read, never checked as a whole

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(REPO).as_posix()}:{self.line}"


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            opened = _FENCE.match(lines[index])
            if opened is None:
                index += 1
                continue
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            body = "\n".join(lines[index + 1 : end]) + "\n"
            labelled = _LABEL.match(lines[index - 1]) if index else None
            label = labelled.group(1) if labelled else ""
            found.append(Example(page, index + 1, opened.group(1), body, label))
            index = end + 1
    return found


def shell_commands(text: str) -> list[list[str]]:
    """The ``cibridge …`` command lines of a shell block, continuation lines joined,
    comments and environment assignments before the command dropped."""
    import shlex

    joined = re.sub(r"\\\n\s*", " ", text)
    commands = []
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip()
        for part in re.split(r"\s*(?:&&|\|\||;|\||&)\s*", line):
            words = shlex.split(part, comments=True) if part else []
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                words.pop(0)
            if words and words[0] == "cibridge":
                commands.append(words[1:])
    return commands


def example(page: str, marker: str) -> Example:
    """The one example of ``page`` whose text holds ``marker`` (line numbers move)."""
    (found,) = [e for e in examples() if e.name.startswith(f"{page}:") and marker in e.text]
    return found


# -- what a reader has beside the examples, for the tests that run them -------------------

# The reader's own checks for the gate examples (the page's seed example observes for five
# minutes): one Prometheus check and the health checks, on the example's placeholders.
GATE_CONFIG = """post_deployment_validation:
  metrics_validation:
    - name: availability
      query: 'label_replace(vector(1), "svc", "{{ service_name }}", "", "")'
      expected_value: 1
      failure_action: rollback
  health_check_validation:
    http_checks:
      - url: "http://{{ service_url }}/health"
        expected_status: 200
    tcp_checks:
      - host: "{{ service_host }}"
        port: "{{ service_port }}"
  rollback_policy:
    enabled: true
    max_failures: 1
    rollback_pipeline: "rollback-{{ service_name }}"
"""


def in_service(text: str, port: int) -> str:
    """The example's service address is the reader's: here a loopback service."""
    text = text.replace("checkout.internal:8080", f"127.0.0.1:{port}")
    text = text.replace("service_host=checkout.internal", "service_host=127.0.0.1")
    return text.replace("service_port=8080", f"service_port={port}")
