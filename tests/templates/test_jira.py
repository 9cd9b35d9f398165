"""The built-in deployment comment shows values as text, whatever markup they contain."""

from __future__ import annotations

import json

from cibridge.context import sample as sample_context
from cibridge.context.model import apply_overrides
from cibridge.jira.adf import to_adf
from cibridge.jira.inline import escape
from cibridge.render import engine as render
from cibridge.render import labels


def test_values_cannot_add_lozenges_links_or_markup() -> None:
    hostile = "{status:red}FAILED{/status} **x** [y](https://evil.example)"
    variables = sample_context.build().template_vars(
        {"status": "success", "environment": hostile, "deployed_by": "mona"}
    )
    variables["t"] = labels.for_locale("en")
    text = render.render(
        "jira/comment.md.j2", variables, render.search_path(None), {"jira_text": escape}
    ).text
    document = json.dumps(to_adf(text))
    assert document.count('"type": "status"') == 1  # only the template's own lozenge
    assert '"color": "red"' not in document
    assert "evil.example" in document and '"href": "https://evil.example"' not in document


def test_a_failure_in_gitlabs_words_is_a_red_lozenge() -> None:
    # CI_JOB_STATUS says "failed"; the template's colours are keyed by the vocabulary.
    context = apply_overrides(sample_context.build(), {"CIBRIDGE_STATUS": "failed"})
    variables = context.template_vars({"environment": "production", "deployed_by": "mona"})
    variables["t"] = labels.for_locale("en")
    text = render.render(
        "jira/comment.md.j2", variables, render.search_path(None), {"jira_text": escape}
    ).text
    assert '"color": "red"' in json.dumps(to_adf(text))
