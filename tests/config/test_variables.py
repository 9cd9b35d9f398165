"""The one table of environment variables, and what derives from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cibridge.config import variables
from cibridge.core import redact

SRC = Path(variables.__file__).resolve().parents[1]
SHAPE = ("get", "value", "secret", "pop", "setdefault", "setenv")


def _read_names(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals a module reads as a variable: ``env.get("X")``, ``env["X"]``,
    ``settings.value("key", "X")``."""
    found = []
    for node in ast.walk(tree):
        args: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SHAPE:
                args = list(node.args)
        elif isinstance(node, ast.Subscript):
            target = ast.unparse(node.value)
            if "env" in target or "environ" in target:
                args = [node.slice]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                text = arg.value
                if text.replace("_", "").isalnum() and "_" in text and text.upper() == text:
                    found.append((arg.lineno, text))
    return found


def test_every_variable_the_code_reads_is_a_row_of_the_table() -> None:
    """A name read anywhere in src is either a row (so redaction, the demo's filter, the
    action inputs and the reference page know it) or one of the CI platform's own."""
    strays = []
    for path in sorted(SRC.rglob("*.py")):
        if "standins" in path.parts:
            continue
        for line, name in _read_names(ast.parse(path.read_text())):
            if name not in variables.BY_NAME and not name.startswith(variables.PLATFORM_PREFIXES):
                strays.append(f"{path.relative_to(SRC)}:{line}: {name}")
    assert strays == []


def test_the_scan_sees_reads() -> None:
    tree = ast.parse('env.get("SLACK_NEW_THING")\nsettings.value("k", "JIRA_X")\nenv["ZED_Y"]')
    assert [name for _, name in _read_names(tree)] == ["SLACK_NEW_THING", "JIRA_X", "ZED_Y"]


def test_names_are_unique_and_roles_resolve() -> None:
    names = [v.name for v in variables.VARIABLES]
    assert len(names) == len(set(names))
    roles = [(v.integration, v.key) for v in variables.VARIABLES]
    assert len(roles) == len(set(roles))
    assert variables.name("jira", "base_url") == "JIRA_BASE_URL"
    assert variables.find("teams", "channel") == ""
    with pytest.raises(KeyError):
        variables.name("jira", "nothing")


@pytest.mark.parametrize(
    ("name", "reaches"),
    [
        # The review's finding: JIRA_CLOUD_ID survived the demo's prefix list and sent the
        # demo to https://api.atlassian.com/ex/jira/<id>.
        ("JIRA_CLOUD_ID", True),
        ("JIRA_BASE_URL", True),
        ("SLACK_WEBHOOK_URL", True),
        ("SLACK_SOMETHING_NEW", True),  # under a provider's prefix, even if not a row yet
        ("PROMETHEUS_URL", True),
        ("ALERTMANAGER_URL", True),
        ("GITHUB_TOKEN", True),
        ("CI_JOB_TOKEN", True),
        ("HTTPS_PROXY", True),
        ("https_proxy", True),
        ("CIBRIDGE_KEY", True),  # cibridge's own, but a secret
        ("CIBRIDGE_WEBHOOK_URL", True),
        ("CIBRIDGE_CONFIG", False),
        ("CIBRIDGE_OUTPUT_FORMAT", False),
        ("GITHUB_SHA", False),
        ("CI_COMMIT_SHA", False),
        ("PATH", False),
    ],
)
def test_what_the_demo_drops(name: str, reaches: bool) -> None:
    assert variables.reaches_a_service(name) is reaches


def test_startup_registers_each_kind_of_secret() -> None:
    redact.reset()
    variables.register(
        {
            "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/hookpart",
            "ALERTMANAGER_PASSWORD": "am-password-1",
            "CIBRIDGE_KEY": "key-one-aaaa, key-two-bbbb",
            "JIRA_BASE_URL": "https://user:url-pass-9@jira.example.com",
            "JIRA_USER_EMAIL": "someone@example.com",
        }
    )
    text = redact.redact(
        "https://hooks.slack.com/services/T0/B0/hookpart am-password-1 key-one-aaaa key-two-bbbb url-pass-9 someone@example.com"
    )
    for secret in ("hookpart", "am-password-1", "key-one-aaaa", "key-two-bbbb", "url-pass-9"):
        assert secret not in text
    assert "someone@example.com" in text  # a user name is not a secret


def test_action_inputs_come_from_the_table() -> None:
    assert variables.INPUTS["jira-api-token"] == "JIRA_API_TOKEN"
    assert variables.INPUTS["slack-webhook-url"] == "SLACK_WEBHOOK_URL"
    assert set(variables.INPUTS.values()) <= set(variables.BY_NAME)
