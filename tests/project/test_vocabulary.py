"""One vocabulary everywhere: the GitLab component and the action list exactly the events,
statuses, locales and providers the code defines."""

from __future__ import annotations

import yaml

from tests.conftest import REPO


def test_one_vocabulary_everywhere() -> None:
    """Events, statuses, locales and providers are defined once; the component's options
    and the action's descriptions cannot drift from them."""
    from cibridge.notify.message import EVENTS, STATUSES
    from cibridge.notify.providers import NAMES
    from cibridge.render.labels import LOCALES

    spec, _jobs = yaml.safe_load_all((REPO / "templates" / "notify.yml").read_text())
    inputs = spec["spec"]["inputs"]
    assert inputs["event"]["options"] == list(EVENTS)
    assert [o for o in inputs["locale"]["options"] if o] == list(LOCALES)
    action = yaml.safe_load((REPO / "notify" / "action.yml").read_text())["inputs"]
    for status in STATUSES:
        assert status in action["status"]["description"]
    for provider in NAMES:
        assert provider in action["to"]["description"] and provider in inputs["to"]["description"]
