from __future__ import annotations

import pytest

from cibridge.config.loader import Config
from cibridge.context import sample as sample_context
from cibridge.context.model import PullRequest
from cibridge.notify import mentions, message
from cibridge.render import labels


def _vars(**extra: str) -> dict[str, object]:
    return sample_context.build().template_vars(extra)


def test_build_facts_and_links() -> None:
    model = message.build("build", "failure", _vars(), labels.for_locale("en"))
    assert model["title"] == "Build · acme/checkout"
    assert model["status_text"] == "failed" and model["color"] == "#E01E5A"
    facts = {f["label"]: f for f in model["facts"]}
    assert facts["Build"]["value"] == "#4242" and facts["Build"]["url"].endswith(
        "/actions/runs/4242"
    )
    assert [link["label"] for link in model["links"]] == ["View run", "View commit"]


def test_deploy_and_alert_wording() -> None:
    deploy = message.build(
        "deploy",
        "success",
        _vars(service_name="api", environment_url="https://api.example"),
        labels.for_locale("zh-CN"),
    )
    assert deploy["title"] == "部署通知 · api → production"
    assert any(link["url"] == "https://api.example" for link in deploy["links"])
    alert = message.build(
        "alert",
        "failure",
        _vars(alert_name="HighErrorRate", severity="critical", description="5xx > 1%"),
        labels.for_locale("en"),
    )
    assert alert["title"] == "Alert · HighErrorRate"
    assert alert["summary"] == "5xx > 1%"
    assert {"label": "Severity", "value": "critical", "url": ""} in alert["facts"]


def _pull(kind: str) -> dict[str, object]:
    context = sample_context.build()
    url = "https://git.example/acme/checkout/-/merge_requests/1"
    context.pull_request = PullRequest(1, "Retries", url, "feature", "main", kind=kind)
    return context.template_vars()


@pytest.mark.parametrize(
    ("kind", "locale", "summary", "link"),
    [
        ("merge_request", "en", "Merge request !1: Retries", "View merge request"),
        ("merge_request", "zh-CN", "合并请求 !1: Retries", "查看合并请求"),
        ("pull_request", "en", "Pull request #1: Retries", "View pull request"),
        ("pull_request", "zh-CN", "拉取请求 #1: Retries", "查看拉取请求"),
    ],
)
def test_pull_request_is_named_as_its_platform_names_it(
    kind: str, locale: str, summary: str, link: str
) -> None:
    for event in ("build", "deploy"):
        model = message.build(event, "success", _pull(kind), labels.for_locale(locale))
        assert model["summary"] == summary
        assert {"label": link, "url": "https://git.example/acme/checkout/-/merge_requests/1"} in (
            model["links"]
        )


def test_commit_list_is_cut_with_a_count() -> None:
    variables = _vars()
    variables["commits"] = variables["commits"] * 10  # type: ignore[operator]
    model = message.build("build", "success", variables, labels.for_locale("en"), max_commits=5)
    assert len(model["commits"]) == 5 and model["commits_more"] == 15


def test_mentions_match_email_or_login_case_insensitively() -> None:
    config = Config(
        data={
            "notify": {
                "mentions": {
                    "users": {"MONA@example.com": {"slack": "U1"}, "lilei": {"slack": "U2"}}
                }
            }
        }
    )
    variables = _vars()
    assert mentions.resolve(config, variables, "success") == []
    assert mentions.resolve(config, variables, "failure") == [{"slack": "U1"}, {"slack": "U2"}]
    assert mentions.resolve(config, variables, "success", "always") == [
        {"slack": "U1"},
        {"slack": "U2"},
    ]
    assert mentions.resolve(config, variables, "failure", "never") == []


@pytest.mark.parametrize(
    ("locale", "title", "state"), [("en", "is running", "Running"), ("zh-CN", "运行中", "运行中")]
)
def test_running_reads_as_running(locale: str, title: str, state: str) -> None:
    t = labels.for_locale(locale)
    for event in ("build", "deploy"):
        model = message.build(event, "running", _vars(), t)
        assert model["status_text"] == title
        facts = {f["label"]: f["value"] for f in model["facts"]}
        assert facts[t["status"]] == state
        assert t["started"] in facts and t["finished"] not in facts and t["duration"] not in facts


def test_a_status_field_is_a_state_not_a_sentence() -> None:
    model = message.build("build", "cancelled", _vars(), labels.for_locale("en"))
    assert model["status_text"] == "was cancelled"
    assert {"label": "Status", "value": "Cancelled", "url": ""} in model["facts"]
