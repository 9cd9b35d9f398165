"""``gate rules --apply`` through a Mimir ruler (the stand-in): added, unchanged on a rerun
(nothing posted), changed, removed when the checks make no rule, dry runs that write
nothing, and refusals that name the group and carry the ruler's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cibridge.demo.standins import StandIns
from cibridge.demo.standins.mimir_ruler import RULER_TENANT
from tests.demo.standins.mimir import ruler_of, serving

# Two checks, two alerts: the service's group as `gate rules` makes it.
PASSING = """    - name: availability
      query: 'avg(up{job="{{service_name}}"})'
      min_value: 1
      duration: 5m
      failure_action: rollback
    - name: errors
      query: 'rate(errors_total{job="{{service_name}}"}[5m])'
      max_value: 0.01
      failure_action: rollback
"""


def config(tmp_path: Path, text: str) -> None:
    (tmp_path / ".cibridge.yml").write_text(text, encoding="utf-8")


def gate_config(checks: str) -> str:
    return f"post_deployment_validation:\n  metrics_validation:\n{checks}"


@pytest.fixture
def mimir() -> Iterator[StandIns]:
    with serving() as servers:
        yield servers


def _apply(cli, mimir: StandIns, *more: str):  # type: ignore[no-untyped-def]
    env = mimir.env()
    return cli("gate", "rules", "--set", "service_name=checkout", "--apply", *more, env=env)


def _writes(mimir: StandIns) -> list[str]:
    return [r.path for r in mimir.received if not r.path.endswith("/cibridge") or r.raw]


def test_apply_adds_then_leaves_unchanged_then_changes(
    cli, mimir: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    first = _apply(cli, mimir)
    assert first.code == 0, first.all
    assert "- cibridge-gate-checkout: added (2 rule(s))" in first.out
    stored = ruler_of(mimir).groups[(RULER_TENANT, "cibridge")]["cibridge-gate-checkout"]
    assert [r["alert"] for r in stored["rules"]] == ["Availability", "Errors"]
    assert stored["rules"][0]["for"] == "5m"

    posts = len(_writes(mimir))
    again = _apply(cli, mimir)
    assert again.code == 0 and "- cibridge-gate-checkout: unchanged" in again.out, again.all
    assert len(_writes(mimir)) == posts  # listed only: nothing re-posted

    config(tmp_path, gate_config(PASSING.replace("max_value: 0.01", "max_value: 0.05")))
    changed = _apply(cli, mimir)
    assert "- cibridge-gate-checkout: changed (2 rule(s))" in changed.out, changed.all
    stored = ruler_of(mimir).groups[(RULER_TENANT, "cibridge")]["cibridge-gate-checkout"]
    assert "> 0.05" in stored["rules"][1]["expr"]


def test_a_group_whose_checks_make_no_rule_is_removed(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    assert _apply(cli, mimir).code == 0
    config(
        tmp_path, gate_config(PASSING.replace("failure_action: rollback", "failure_action: ignore"))
    )
    removed = _apply(cli, mimir)
    assert removed.code == 0 and "- cibridge-gate-checkout: removed" in removed.out, removed.all
    assert not ruler_of(mimir).groups[(RULER_TENANT, "cibridge")]
    nothing = _apply(cli, mimir)
    assert "no rules, nothing installed or removed" in nothing.out, nothing.all


def test_other_groups_in_the_namespace_are_left_alone(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    theirs = {"name": "team-rules", "rules": [{"record": "job:up", "expr": "up"}]}
    ruler_of(mimir).groups[(RULER_TENANT, "cibridge")] = {"team-rules": theirs}
    config(
        tmp_path, gate_config(PASSING.replace("failure_action: rollback", "failure_action: ignore"))
    )
    assert _apply(cli, mimir).code == 0
    assert list(ruler_of(mimir).groups[(RULER_TENANT, "cibridge")]) == ["team-rules"]


def test_dry_run_says_what_would_change_and_writes_nothing(
    cli, mimir: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, mimir, "--dry-run")
    assert result.code == 0, result.all
    assert "would change ruler namespace cibridge" in result.out
    assert "- cibridge-gate-checkout: added (2 rule(s))" in result.out
    assert [r.raw for r in mimir.received] == [b""]  # the list, nothing else
    assert not ruler_of(mimir).groups


def test_namespace_api_and_tenant_from_the_config(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monitoring = (
        "integration_configs:\n  monitoring:\n    ruler:\n"
        f"      url: {mimir.base}/mimir\n      api: cortex\n      namespace: deploys\n"
        "      tenant: team-a\n"
    )
    config(tmp_path, monitoring + gate_config(PASSING))
    result = cli("gate", "rules", "--set", "service_name=checkout", "--apply")
    assert result.code == 0, result.all
    assert all(r.path.startswith("/mimir/api/v1/rules/deploys") for r in mimir.received)
    assert ("team-a", "deploys") in ruler_of(mimir).groups


def test_a_refused_group_is_named_with_the_rulers_words(
    cli, mimir: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ruler_of(mimir).max_rules_per_group = 1
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, mimir)
    assert result.code == 1, result.all
    assert (
        "the ruler refused group cibridge-gate-checkout: HTTP 400: per-user rules per rule "
        "group limit (limit: 1 actual: 2) exceeded" in result.err
    )
    assert not ruler_of(mimir).groups


def test_a_missing_tenant_is_a_failure_with_a_hint(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    env = {**mimir.env(), "RULER_TENANT": ""}
    result = cli("gate", "rules", "--set", "service_name=checkout", "--apply", env=env)
    assert result.code == 1, result.all
    assert "HTTP 401: no org id" in result.err and "RULER_TENANT" in result.err


def test_an_unknown_api_is_a_configuration_error(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(
        tmp_path,
        "integration_configs:\n  monitoring:\n    ruler:\n      url: http://127.0.0.1:1\n"
        "      api: thanos\n" + gate_config(PASSING),
    )
    result = cli("gate", "rules", "--set", "service_name=checkout", "--apply")
    assert result.code == 2, result.all
    assert ".cibridge.yml:5: integration_configs.monitoring.ruler.api" in result.err
    assert "is not one of: mimir, cortex" in result.err


def test_the_token_never_reaches_the_output(cli, mimir: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    token = "ruler-s3cret-token-0123"
    env = {**mimir.env(), "RULER_TOKEN": token}
    result = cli("gate", "rules", "--set", "service_name=checkout", "--apply", "-v", env=env)
    assert result.code == 0, result.all
    assert token not in result.all
    assert mimir.received[0].headers["Authorization"] == f"Bearer {token}"


def test_an_unknown_api_from_the_environment_names_the_variable(
    cli, mimir: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    result = cli(
        "gate",
        "rules",
        "--set",
        "service_name=checkout",
        "--apply",
        env={**mimir.env(), "RULER_API": "thanos"},
    )
    assert result.code == 2, result.all
    assert "ruler api: 'thanos' (" in result.err and "RULER_API) is not one of" in result.err
    assert not mimir.received


def test_output_and_apply_are_one_or_the_other_with_a_ruler_too(
    cli, mimir: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config(tmp_path, gate_config(PASSING))
    result = _apply(cli, mimir, "--output", "rules.yml")
    assert result.code == 2 and "--output writes a file, --apply installs one" in result.err
    assert not mimir.received and not (tmp_path / "rules.yml").exists()
